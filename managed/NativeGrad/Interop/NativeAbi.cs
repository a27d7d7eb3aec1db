using System.Runtime.InteropServices;

namespace NativeGrad.Interop;

/// <summary>
/// Compares the ABI version of the loaded native library with the one the bindings were generated
/// for (<see cref="NativeConstants.NG_ABI_VERSION"/>), so a stale library fails with an explanation
/// instead of misbehaving.
/// </summary>
internal static class NativeAbi
{
    /// <summary>Checks a freshly loaded library through its export, before any import binds to it.</summary>
    internal static unsafe void Verify(nint handle, string? path)
    {
        if (!NativeLibrary.TryGetExport(handle, "ng_abi_version", out nint export))
        {
            throw new NativeGradException(NgStatus.Internal,
                "The library loaded as '" + NativeMethods.LibraryName + "' from " + Describe(path)
                + " does not export ng_abi_version; it is not a NativeGrad native library.");
        }

        int actual = ((delegate* unmanaged[Cdecl]<int>)export)();
        ThrowIfMismatch(actual, path);
    }

    internal static void ThrowIfMismatch(int actual, string? path)
    {
        if (actual != NativeConstants.NG_ABI_VERSION)
        {
            throw new NativeGradException(NgStatus.Internal, MismatchMessage(NativeConstants.NG_ABI_VERSION, actual, path));
        }
    }

    internal static string MismatchMessage(int expected, int actual, string? path) =>
        "NativeGrad native ABI mismatch: the managed assembly was built for ABI version " + expected
        + ", but the native library at " + Describe(path) + " reports version " + actual
        + ". Use the native library built from the same sources as the NativeGrad assembly "
        + "(rebuild, or reinstall the package so both come from one version).";

    private static string Describe(string? path) => path ?? "(found by the default search)";
}

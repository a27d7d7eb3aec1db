using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text;

namespace NativeGrad.Interop;

/// <summary>
/// What was loaded: path, version, CPU features and kernels. Also the once-per-process ABI check
/// for code paths that bypass the resolver (when it is opted out).
/// </summary>
internal static class NativeLibraryInfo
{
    private static readonly Lock Gate = new();
    private static bool s_checked;
    private static ExceptionDispatchInfo? s_failure;

    /// <summary>
    /// Loads the library if needed and verifies its ABI version, once per process. Cheap after the
    /// first call; a failure is remembered and rethrown on every call.
    /// </summary>
    internal static void EnsureCompatible()
    {
        if (Volatile.Read(ref s_checked))
        {
            s_failure?.Throw();
            return;
        }

        lock (Gate)
        {
            if (!s_checked)
            {
                try
                {
                    NativeAbi.ThrowIfMismatch(NativeMethods.ng_abi_version(), LoadedPath);
                }
                catch (Exception e)
                {
                    s_failure = ExceptionDispatchInfo.Capture(e);
                }

                Volatile.Write(ref s_checked, true);
            }
        }

        s_failure?.Throw();
    }

    /// <summary>The ABI version the bindings were generated for.</summary>
    internal static int ExpectedAbiVersion => NativeConstants.NG_ABI_VERSION;

    /// <summary>The ABI version the loaded library reports.</summary>
    internal static int AbiVersion => NativeMethods.ng_abi_version();

    /// <summary>The library's version string, e.g. "0.1.0".</summary>
    internal static unsafe string Version => ReadUtf8(NativeMethods.ng_version());

    /// <summary>CPU features the library detected and the kernel set in use, e.g. "avx2 fma; kernels=avx2".</summary>
    internal static unsafe string CpuFeatures => ReadUtf8(NativeMethods.ng_cpu_features());

    /// <summary>CPU features .NET reports (for comparison with <see cref="CpuFeatures"/>).</summary>
    internal static string ManagedCpuFeatures => NativeLibraryResolver.ManagedCpuFeatures();

    /// <summary>
    /// The file of the loaded library: the one the resolver loaded, else (Linux) the mapping of the
    /// process that holds the library; null if unknown or not loaded.
    /// </summary>
    internal static string? LoadedPath => NativeLibraryResolver.LoadedPath ?? FindMappedLibrary();

    /// <summary>A multi-line summary for bug reports and test logs.</summary>
    internal static string Describe()
    {
        var sb = new StringBuilder();
        sb.Append("NativeGrad native library: ").AppendLine(LoadedPath ?? "(path unknown)");
        sb.Append("  version: ").AppendLine(Version);
        sb.Append("  ABI: ").Append(AbiVersion).Append(" (bindings: ").Append(ExpectedAbiVersion).AppendLine(")");
        sb.Append("  native CPU features: ").AppendLine(CpuFeatures);
        sb.Append("  .NET CPU features: ").AppendLine(ManagedCpuFeatures);
        sb.Append("  RID: ").Append(NativeLibraryResolver.PortableRuntimeIdentifier);
        return sb.ToString();
    }

    private static unsafe string ReadUtf8(byte* text) =>
        text == null ? string.Empty : Marshal.PtrToStringUTF8((nint)text) ?? string.Empty;

    private static string? FindMappedLibrary()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            foreach (string line in File.ReadLines("/proc/self/maps"))
            {
                int slash = line.IndexOf('/', StringComparison.Ordinal);
                if (slash >= 0 && line.EndsWith("/" + NativeLibraryResolver.LibraryFileName, StringComparison.Ordinal))
                {
                    return line.Substring(slash);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}

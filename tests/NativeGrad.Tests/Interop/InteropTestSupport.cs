using NativeGrad.Interop;

namespace NativeGrad.Tests.Interop;

/// <summary>Paths the interop tests need, all relative to the test output.</summary>
internal static class InteropTestSupport
{
    /// <summary>The header, copied next to the test assembly by the project file.</summary>
    internal static string HeaderPath => Path.Combine(AppContext.BaseDirectory, "nativegrad.h");

    /// <summary>Where the build puts the native library in every referencing project's output.</summary>
    internal static string PackagedLibraryPath => Path.Combine(
        AppContext.BaseDirectory, "runtimes", NativeLibraryResolver.PortableRuntimeIdentifier, "native",
        NativeLibraryResolver.LibraryFileName);
}

/// <summary>A fact that only runs on Linux (it inspects an ELF library with binutils).</summary>
internal sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Reads the ELF export table with `nm -D`; only available on Linux.";
        }
    }
}

using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace NativeGrad.Interop;

/// <summary>
/// Finds the native library for every <c>[LibraryImport("nativegrad")]</c> of this assembly.
/// </summary>
/// <remarks>
/// Probing order: <c>NATIVEGRAD_LIBRARY_PATH</c> (a file or a folder); <c>AppContext.BaseDirectory/runtimes/&lt;rid&gt;/native/</c>;
/// the assembly's folder and its <c>runtimes/&lt;rid&gt;/native/</c>; then the runtime's default search.
/// When nothing loads, the first native call throws a <see cref="DllNotFoundException"/> listing every
/// path tried with the loader's message, the RID and the CPU features .NET sees. Right after loading,
/// the library's ABI version is compared with the one the bindings were generated for.
/// Opt out (e.g. to install a resolver of your own) with the AppContext switch
/// <c>NativeGrad.DisableNativeLibraryResolver</c> or the environment variable
/// <c>NATIVEGRAD_DISABLE_RESOLVER=1</c>.
/// </remarks>
internal static class NativeLibraryResolver
{
    internal const string DisableSwitch = "NativeGrad.DisableNativeLibraryResolver";
    internal const string DisableEnvironmentVariable = "NATIVEGRAD_DISABLE_RESOLVER";
    internal const string LibraryPathEnvironmentVariable = "NATIVEGRAD_LIBRARY_PATH";

    private static readonly Lock Gate = new();
    private static nint s_handle;
    private static string? s_loadedPath;

    /// <summary>True when the resolver was installed for this assembly.</summary>
    internal static bool IsRegistered { get; private set; }

    /// <summary>The file the resolver loaded, or null (not loaded yet, default search, or opted out).</summary>
    internal static string? LoadedPath
    {
        get
        {
            lock (Gate)
            {
                return s_loadedPath;
            }
        }
    }

    /// <summary>The file name of the library on this OS.</summary>
    internal static string LibraryFileName =>
        OperatingSystem.IsWindows() ? "nativegrad.dll"
        : OperatingSystem.IsMacOS() ? "libnativegrad.dylib"
        : "libnativegrad.so";

    /// <summary>The portable RID of this process (linux-x64, win-x64, osx-arm64, ...).</summary>
    internal static string PortableRuntimeIdentifier
    {
        get
        {
            string os = OperatingSystem.IsWindows() ? "win"
                : OperatingSystem.IsMacOS() ? "osx"
                : OperatingSystem.IsFreeBSD() ? "freebsd"
                : "linux";
            string arch = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => "x64",
                Architecture.X86 => "x86",
                Architecture.Arm64 => "arm64",
                Architecture.Arm => "arm",
                Architecture other => other.ToString().ToLowerInvariant(),
            };
            return os + "-" + arch;
        }
    }

    // A library should normally leave module initializers alone (CA2255); here it is the point:
    // the resolver must be in place before the first P/Invoke, whichever type makes it.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register()
    {
        try
        {
            if (IsDisabled())
            {
                return;
            }

            NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);
            IsRegistered = true;
        }
        catch (Exception)
        {
            // Never throw from a module initializer: if another resolver is already installed for
            // this assembly, that one (or the default search) is used.
        }
    }

    private static bool IsDisabled()
    {
        if (AppContext.TryGetSwitch(DisableSwitch, out bool disabled) && disabled)
        {
            return true;
        }

        string? env = Environment.GetEnvironmentVariable(DisableEnvironmentVariable);
        return env is "1" || string.Equals(env, "true", StringComparison.OrdinalIgnoreCase);
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != NativeMethods.LibraryName)
        {
            return 0;
        }

        lock (Gate)
        {
            if (s_handle != 0)
            {
                return s_handle;
            }

            nint handle = Load(assembly, searchPath, out string? path);
            NativeAbi.Verify(handle, path);
            s_handle = handle;
            s_loadedPath = path;
            return handle;
        }
    }

    /// <summary>Every file path probed before the default search, in order, without duplicates.</summary>
    [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An empty Location (single-file app) is handled: the base directory is probed instead.")]
    internal static IReadOnlyList<string> CandidatePaths(Assembly assembly)
    {
        var result = new List<string>();
        string file = LibraryFileName;

        void Add(string? path)
        {
            if (!string.IsNullOrEmpty(path))
            {
                string full = Path.GetFullPath(path);
                if (!result.Contains(full, StringComparer.Ordinal))
                {
                    result.Add(full);
                }
            }
        }

        string? overridePath = Environment.GetEnvironmentVariable(LibraryPathEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(overridePath))
        {
            Add(Directory.Exists(overridePath) ? Path.Combine(overridePath, file) : overridePath);
        }

        var rids = new List<string> { PortableRuntimeIdentifier };
        if (!rids.Contains(RuntimeInformation.RuntimeIdentifier))
        {
            rids.Add(RuntimeInformation.RuntimeIdentifier);
        }

        string baseDirectory = AppContext.BaseDirectory;
        foreach (string rid in rids)
        {
            Add(Path.Combine(baseDirectory, "runtimes", rid, "native", file));
        }

        // Empty for single-file apps; then the base directory above is the assembly's directory.
        string? assemblyDirectory = string.IsNullOrEmpty(assembly.Location) ? null : Path.GetDirectoryName(assembly.Location);
        if (assemblyDirectory != null)
        {
            Add(Path.Combine(assemblyDirectory, file));
            foreach (string rid in rids)
            {
                Add(Path.Combine(assemblyDirectory, "runtimes", rid, "native", file));
            }
        }

        return result;
    }

    private static nint Load(Assembly assembly, DllImportSearchPath? searchPath, out string? loadedPath)
    {
        var attempts = new List<string>();
        foreach (string candidate in CandidatePaths(assembly))
        {
            if (!File.Exists(candidate))
            {
                attempts.Add(candidate + ": not found");
                continue;
            }

            try
            {
                nint handle = NativeLibrary.Load(candidate);
                loadedPath = candidate;
                return handle;
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                attempts.Add(candidate + ": " + e.Message);
            }
        }

        try
        {
            loadedPath = null;
            return NativeLibrary.Load(NativeMethods.LibraryName, assembly, searchPath);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            attempts.Add("default search for '" + NativeMethods.LibraryName + "': " + e.Message);
        }

        throw new NativeLibraryLoadException(DescribeFailure(attempts), attempts);
    }

    internal static string DescribeFailure(IReadOnlyList<string> attempts)
    {
        var sb = new StringBuilder();
        sb.Append("NativeGrad could not load its native library '").Append(LibraryFileName)
          .Append("' for ").Append(PortableRuntimeIdentifier).Append(" (runtime RID ")
          .Append(RuntimeInformation.RuntimeIdentifier).AppendLine(").");
        sb.AppendLine("Paths tried:");
        foreach (string attempt in attempts)
        {
            sb.Append("  ").AppendLine(attempt);
        }

        sb.Append("Process: ").Append(RuntimeInformation.OSDescription).Append(", ")
          .Append(RuntimeInformation.ProcessArchitecture).Append(", CPU features seen by .NET: ")
          .AppendLine(ManagedCpuFeatures());
        sb.Append("Ship the library as runtimes/<rid>/native/").Append(LibraryFileName)
          .Append(" next to the application, or set ").Append(LibraryPathEnvironmentVariable)
          .Append(" to its path.");
        return sb.ToString();
    }

    /// <summary>The instruction sets .NET reports for this CPU, e.g. "sse4.2 avx avx2 fma avx512f".</summary>
    internal static string ManagedCpuFeatures()
    {
        var features = new List<string>();
        if (System.Runtime.Intrinsics.X86.Sse42.IsSupported)
        {
            features.Add("sse4.2");
        }

        if (System.Runtime.Intrinsics.X86.Avx.IsSupported)
        {
            features.Add("avx");
        }

        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported)
        {
            features.Add("avx2");
        }

        if (System.Runtime.Intrinsics.X86.Fma.IsSupported)
        {
            features.Add("fma");
        }

        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
        {
            features.Add("avx512f");
        }

        if (System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported)
        {
            features.Add("neon");
        }

        return features.Count == 0 ? "none" : string.Join(' ', features);
    }
}

/// <summary>The native library could not be loaded; the message lists every path tried.</summary>
[SuppressMessage("Design", "CA1032:Implement standard exception constructors", Justification = "Only created by the resolver.")]
internal sealed class NativeLibraryLoadException : DllNotFoundException
{
    internal NativeLibraryLoadException(string message, IReadOnlyList<string> attempts)
        : base(message)
    {
        Attempts = attempts;
    }

    /// <summary>"path: loader message" for every attempt, in order.</summary>
    internal IReadOnlyList<string> Attempts { get; }
}

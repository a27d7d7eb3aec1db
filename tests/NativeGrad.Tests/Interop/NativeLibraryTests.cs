using System.Runtime.InteropServices;
using NativeGrad.Interop;

namespace NativeGrad.Tests.Interop;

/// <summary>Loading, ABI check and the diagnostics a bug report needs.</summary>
public class NativeLibraryTests
{
    [Fact]
    public void ResolverIsRegisteredAndLoadsThePackagedLibrary()
    {
        NativeLibraryInfo.EnsureCompatible();
        Assert.True(NativeLibraryResolver.IsRegistered);
        Assert.Equal(Path.GetFullPath(InteropTestSupport.PackagedLibraryPath), NativeLibraryInfo.LoadedPath);
    }

    [Fact]
    public void AbiVersionMatchesTheBindings()
    {
        Assert.Equal(NativeConstants.NG_ABI_VERSION, NativeMethods.ng_abi_version());
        Assert.Equal(NativeLibraryInfo.ExpectedAbiVersion, NativeLibraryInfo.AbiVersion);
        NativeLibraryInfo.EnsureCompatible();
        NativeLibraryInfo.EnsureCompatible(); // cached
    }

    [Fact]
    public void VersionIsNotEmpty()
    {
        string version = NativeLibraryInfo.Version;
        Assert.False(string.IsNullOrWhiteSpace(version));
    }

    [Fact]
    public void CpuFeaturesNameTheKernelSet()
    {
        string features = NativeLibraryInfo.CpuFeatures;
        Assert.Contains("kernels=", features, StringComparison.Ordinal);
    }

    [Fact]
    public void DescribeSummarisesEverything()
    {
        string text = NativeLibraryInfo.Describe();
        Assert.Contains(NativeLibraryInfo.Version, text, StringComparison.Ordinal);
        Assert.Contains("kernels=", text, StringComparison.Ordinal);
        Assert.Contains(NativeLibraryResolver.PortableRuntimeIdentifier, text, StringComparison.Ordinal);
        Assert.Contains(NativeLibraryResolver.LibraryFileName, text, StringComparison.Ordinal);
    }

    [Fact]
    public void PortableRidMatchesTheProcess()
    {
        string rid = NativeLibraryResolver.PortableRuntimeIdentifier;
        string arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        Assert.EndsWith("-" + arch, rid, StringComparison.Ordinal);
        if (OperatingSystem.IsLinux())
        {
            Assert.StartsWith("linux-", rid, StringComparison.Ordinal);
            Assert.Equal("libnativegrad.so", NativeLibraryResolver.LibraryFileName);
        }
    }

    [Fact]
    public void CandidatePathsProbeTheRuntimesLayoutFirst()
    {
        IReadOnlyList<string> paths = NativeLibraryResolver.CandidatePaths(typeof(NativeMethods).Assembly);
        if (Environment.GetEnvironmentVariable(NativeLibraryResolver.LibraryPathEnvironmentVariable) is null)
        {
            Assert.Equal(Path.GetFullPath(InteropTestSupport.PackagedLibraryPath), paths[0]);
        }

        Assert.Equal(paths.Count, paths.Distinct(StringComparer.Ordinal).Count());
        Assert.All(paths, p => Assert.EndsWith(NativeLibraryResolver.LibraryFileName, p, StringComparison.Ordinal));
    }

    [Fact]
    public void LoadFailureMessageListsPathsRidAndCpuFeatures()
    {
        string message = NativeLibraryResolver.DescribeFailure(new[]
        {
            "/app/runtimes/linux-x64/native/libnativegrad.so: not found",
            "/app/libnativegrad.so: wrong ELF class: ELFCLASS32",
            "default search for 'nativegrad': cannot open shared object file",
        });
        Assert.Contains("/app/runtimes/linux-x64/native/libnativegrad.so: not found", message, StringComparison.Ordinal);
        Assert.Contains("wrong ELF class", message, StringComparison.Ordinal);
        Assert.Contains("default search", message, StringComparison.Ordinal);
        Assert.Contains(NativeLibraryResolver.PortableRuntimeIdentifier, message, StringComparison.Ordinal);
        Assert.Contains(NativeLibraryResolver.ManagedCpuFeatures(), message, StringComparison.Ordinal);
        Assert.Contains(NativeLibraryResolver.LibraryPathEnvironmentVariable, message, StringComparison.Ordinal);
    }

    [Fact]
    public void ManagedCpuFeaturesReflectTheIntrinsicsApi()
    {
        string features = NativeLibraryResolver.ManagedCpuFeatures();
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx2.IsSupported, features.Split(' ').Contains("avx2"));
        Assert.Equal(System.Runtime.Intrinsics.X86.Fma.IsSupported, features.Split(' ').Contains("fma"));
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx512F.IsSupported, features.Split(' ').Contains("avx512f"));
    }

    [Fact]
    public void AbiMismatchIsExplained()
    {
        int expected = NativeConstants.NG_ABI_VERSION;
        var e = Assert.Throws<NativeGradException>(() => NativeAbi.ThrowIfMismatch(expected + 1, "/opt/old/libnativegrad.so"));
        Assert.Contains("ABI version " + expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("reports version " + (expected + 1), e.Message, StringComparison.Ordinal);
        Assert.Contains("/opt/old/libnativegrad.so", e.Message, StringComparison.Ordinal);
        NativeAbi.ThrowIfMismatch(expected, "/any"); // equal versions pass
    }

    [Fact]
    public void LibraryWithoutTheAbiExportIsRejected()
    {
        // libc is loaded in every process and certainly does not export ng_abi_version.
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        nint libc = NativeLibrary.Load("libc.so.6");
        var e = Assert.Throws<NativeGradException>(() => NativeAbi.Verify(libc, "libc.so.6"));
        Assert.Contains("ng_abi_version", e.Message, StringComparison.Ordinal);
    }
}

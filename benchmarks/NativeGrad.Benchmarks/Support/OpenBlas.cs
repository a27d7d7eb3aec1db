using System.Runtime.InteropServices;
using unsafe CblasSgemm = delegate* unmanaged[Cdecl]<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>;
using unsafe SetThreads = delegate* unmanaged[Cdecl]<int, void>;

namespace NativeGrad.Benchmarks.Support;

/// <summary>
/// OpenBLAS, when the machine has it (Debian: <c>apt install libopenblas0</c>), loaded at run time so
/// the report can measure the peer's SGEMM in the same run as NativeGrad's: on a shared machine a
/// figure measured hours earlier says little about the conditions of this run. Nothing in
/// NativeGrad depends on it; without the library the report simply leaves the rows out.
/// </summary>
internal static unsafe class OpenBlas
{
    private const int RowMajor = 101, NoTrans = 111;

    private static readonly Lazy<Api?> Loaded = new(Load);

    private sealed class Api(CblasSgemm sgemm, SetThreads setNumThreads, string config)
    {
        public readonly CblasSgemm Sgemm = sgemm;
        public readonly SetThreads SetNumThreads = setNumThreads;
        public readonly string Config = config;
    }

    /// <summary>True when an OpenBLAS library was found and exports what the report calls.</summary>
    public static bool IsAvailable => Loaded.Value is not null;

    /// <summary>OpenBLAS's own description of its build (version, kernel set), e.g. "OpenBLAS 0.3.21 ... Cooperlake".</summary>
    public static string Config => Loaded.Value?.Config ?? "not found";

    /// <summary>Threads OpenBLAS uses for the following calls (its own pthread pool, not OpenMP).</summary>
    public static void SetNumThreads(int threads) => Require().SetNumThreads(threads);

    /// <summary>Row-major C = A·B for n×n matrices, the product <see cref="Tensor.MatMul"/> computes.</summary>
    public static void SquareSgemm(int n, float* a, float* b, float* c) =>
        Require().Sgemm(RowMajor, NoTrans, NoTrans, n, n, n, 1f, a, n, b, n, 0f, c, n);

    private static Api Require() => Loaded.Value ?? throw new InvalidOperationException("OpenBLAS is not installed on this machine");

    private static Api? Load()
    {
        string[] names = OperatingSystem.IsWindows() ? ["libopenblas.dll", "openblas.dll"]
                       : OperatingSystem.IsMacOS() ? ["libopenblas.dylib", "libopenblas.0.dylib"]
                       : ["libopenblas.so.0", "libopenblas.so"];
        foreach (string name in names)
        {
            if (!NativeLibrary.TryLoad(name, out IntPtr lib)) continue;
            if (NativeLibrary.TryGetExport(lib, "cblas_sgemm", out IntPtr sgemm) &&
                NativeLibrary.TryGetExport(lib, "openblas_set_num_threads", out IntPtr threads))
            {
                string config = NativeLibrary.TryGetExport(lib, "openblas_get_config", out IntPtr getConfig)
                    ? Marshal.PtrToStringUTF8(((delegate* unmanaged[Cdecl]<IntPtr>)getConfig)()) ?? name
                    : name;
                return new Api((CblasSgemm)sgemm, (SetThreads)threads, config.Trim());
            }
            NativeLibrary.Free(lib);
        }
        return null;
    }
}

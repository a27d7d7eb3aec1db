using NativeGrad.Interop;

namespace NativeGrad;

/// <summary>
/// The number of threads the native kernels use. Starts from the environment variable
/// NATIVEGRAD_NUM_THREADS, else the number of cores. Results are bit-identical for any value.
/// </summary>
public static unsafe class Threading
{
    /// <summary>Threads used by the native kernels (at least 1).</summary>
    public static int NumThreads
    {
        get
        {
            int n;
            NativeStatus.Check(NativeMethods.ng_get_num_threads(&n));
            return n;
        }
        set => NativeStatus.Check(NativeMethods.ng_set_num_threads(value));
    }
}

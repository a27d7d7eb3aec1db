using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace NativeGrad.Benchmarks.Support;

/// <summary>Describes the machine a report was measured on and reads the process's memory figures.</summary>
internal static class Machine
{
    /// <summary>CPU model name from /proc/cpuinfo, else the architecture.</summary>
    public static string CpuModel
    {
        get
        {
            try
            {
                foreach (string line in File.ReadLines("/proc/cpuinfo"))
                {
                    if (line.StartsWith("model name", StringComparison.Ordinal))
                        return line[(line.IndexOf(':') + 1)..].Trim();
                }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    /// <summary>Logical processors this process may use.</summary>
    public static int Cores => Environment.ProcessorCount;

    /// <summary>The vector extensions the managed peak loop and comparisons can use.</summary>
    public static string Isa =>
        string.Join(", ", new[]
        {
            Avx2.IsSupported ? "AVX2" : null,
            Fma.IsSupported ? "FMA" : null,
            Avx512F.IsSupported ? "AVX-512F" : null,
        }.Where(s => s is not null));

    /// <summary>One line for the report header.</summary>
    public static string Describe() =>
        $"{CpuModel}, {Cores} logical cores ({Isa}), {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}";

    /// <summary>Peak resident set size (VmHWM) in bytes, or -1 where /proc is unavailable.</summary>
    public static long PeakResidentBytes => ReadStatusKb("VmHWM:");

    /// <summary>Current resident set size (VmRSS) in bytes, or -1 where /proc is unavailable.</summary>
    public static long ResidentBytes => ReadStatusKb("VmRSS:");

    private static long ReadStatusKb(string key)
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
                string[] parts = line[key.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return -1;
    }
}

// Consumption test: a console app that only knows the NativeGrad package (copied into a fresh
// project by run.sh). It checks that the native library loads with no setup, trains a tiny linear
// model (the loss must fall), and prints where the library was loaded from and how long the first
// tensor operation took in this fresh process.
//   --expect-load-failure   the native library was removed: the error must name the paths tried,
//                           the RID and the CPU features.
using System.Diagnostics;
using NativeGrad;
using NativeGrad.NN;
using NativeGrad.Optim;

if (args.Contains("--expect-load-failure"))
{
    try
    {
        using Tensor t = Tensor.Zeros(1);
        Console.Error.WriteLine("FAIL: a tensor was created although the native library was removed");
        return 1;
    }
    catch (Exception thrown)
    {
        // The first use of Tensor wraps it in a TypeInitializationException.
        Exception? inner = thrown;
        while (inner is not null and not DllNotFoundException)
        {
            inner = inner.InnerException;
        }
        if (inner is not DllNotFoundException e)
        {
            Console.Error.WriteLine("FAIL: expected a DllNotFoundException, got " + thrown);
            return 1;
        }
        Console.WriteLine(e.Message);
        string[] expected = ["Paths tried:", "runtimes", "CPU features", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier];
        string[] missing = expected.Where(s => !e.Message.Contains(s, StringComparison.Ordinal)).ToArray();
        if (missing.Length > 0)
        {
            Console.Error.WriteLine("FAIL: the load error does not mention: " + string.Join(", ", missing));
            return 1;
        }
        Console.WriteLine("OK: load failure is diagnosable");
        return 0;
    }
}

// The first operation loads and checks the native library.
var clock = Stopwatch.StartNew();
using (Tensor first = Tensor.Zeros(4))
using (Tensor sum = first.Sum())
{
    _ = sum.Item<float>();
}
double firstOpMs = clock.Elapsed.TotalMilliseconds;

string? loaded = Process.GetCurrentProcess().Modules.Cast<ProcessModule>()
    .Select(m => m.FileName)
    .FirstOrDefault(f => Path.GetFileName(f) is "libnativegrad.so" or "nativegrad.dll" or "libnativegrad.dylib");
Console.WriteLine($"native library: {loaded ?? "(not found among the process modules)"}");
Console.WriteLine($"first-op-ms: {firstOpMs:F2}");

// y = 3x - 1 on 64 points; one Linear(1, 1) layer, plain SGD.
const int n = 64;
float[] xs = Enumerable.Range(0, n).Select(i => (i - n / 2) / (float)n).ToArray();
float[] ys = xs.Select(x => 3f * x - 1f).ToArray();
using Tensor input = Tensor.FromArray(xs, [n, 1]);
using Tensor target = Tensor.FromArray(ys, [n, 1]);
using var model = new Linear(1, 1);
using var optimizer = new SGD(model.Parameters(), lr: 0.5);

float firstLoss = float.NaN, lastLoss = float.NaN;
for (int step = 0; step < 50; step++)
{
    optimizer.ZeroGrad();
    using Tensor prediction = model.Forward(input);
    using Tensor loss = Functional.MseLoss(prediction, target);
    loss.Backward();
    optimizer.Step();
    lastLoss = loss.Item<float>();
    if (step == 0)
    {
        firstLoss = lastLoss;
    }
}

Console.WriteLine($"loss: {firstLoss:G4} -> {lastLoss:G4}");
if (loaded is null || !(lastLoss < firstLoss * 0.01f))
{
    Console.Error.WriteLine("FAIL: " + (loaded is null ? "native library not identified" : "the loss did not decrease"));
    return 1;
}

Console.WriteLine("OK");
return 0;

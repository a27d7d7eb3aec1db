using NativeGrad.Diagnostics;
using NativeGrad.NN;

namespace NativeGrad.Tests.Diagnostics;

/// <summary>Exports free what they traced. Serial: counts live native tensors process-wide.</summary>
[Collection("Serial")]
public sealed class GraphLifetimeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ng-tbl-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void CollectGarbage()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    [Fact]
    public void AddGraphAndToDotLeaveNoTensorsBehind()
    {
        using var model = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
        using Tensor input = Tensor.Rand(2, 4);
        CollectGarbage();
        long baseline = Tensor.LiveCount;
        using (var writer = new SummaryWriter(_dir)) writer.AddGraph(model, input);
        _ = GraphExport.ToDot(model, input);
        // The autograd nodes are released by their finalizers (GradFn has no Dispose).
        CollectGarbage();
        Assert.Equal(baseline, Tensor.LiveCount);
    }
}

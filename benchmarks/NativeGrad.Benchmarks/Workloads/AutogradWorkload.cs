namespace NativeGrad.Benchmarks.Workloads;

/// <summary>
/// A chain of <c>Nodes</c> small elementwise ops on a 16-element leaf (alternating ·1.0001 and tanh,
/// so half the nodes save a tensor for backward). The backward pass over it measures the engine's
/// per-node cost: scheduling, grad-buffer handling, the tiny kernels and any interop.
/// </summary>
internal sealed class AutogradChainWorkload : IDisposable
{
    private const int Width = 16;

    private readonly Tensor _leaf;
    private readonly Tensor _gradOut;
    private readonly List<Tensor> _kept = new();
    private readonly Tensor _output;

    /// <param name="nodes">Graph nodes between the leaf and the output.</param>
    /// <param name="hookEveryNode">Registers a tensor hook on every intermediate result (for the hook-overhead figure).</param>
    public AutogradChainWorkload(int nodes, bool hookEveryNode = false)
    {
        Nodes = nodes;
        _leaf = Tensor.Rand(Width).RequiresGrad_();
        _gradOut = Tensor.Ones(Width);
        _output = BuildChain(keepIntermediates: true);
        if (hookEveryNode)
        {
            // The hook does nothing but release the gradient wrapper it receives: the figure is the
            // callback round trip itself (native → managed → native), not work done in the hook.
            foreach (Tensor t in _kept) t.RegisterHook(static g => { g.Dispose(); return null; });
            HookCount = _kept.Count;
        }
    }

    public int Nodes { get; }

    /// <summary>Hooks that fire in one backward pass (every intermediate result, when requested).</summary>
    public int HookCount { get; }

    /// <summary>Backward through the retained graph: the engine's cost alone (the graph is built once).</summary>
    public void BackwardRetained() => _output.Backward(_gradOut, retainGraph: true);

    /// <summary>Forward (build the graph) + backward + disposal: what a training step pays per node.</summary>
    public void ForwardBackward()
    {
        using Tensor output = BuildChain(keepIntermediates: false);
        output.Backward(_gradOut);
    }

    /// <summary>Forward alone (graph recorded, no backward), to separate the two in the report.</summary>
    public void ForwardOnly()
    {
        using Tensor output = BuildChain(keepIntermediates: false);
    }

    private Tensor BuildChain(bool keepIntermediates)
    {
        Tensor y = _leaf;
        for (int i = 0; i < Nodes; i++)
        {
            Tensor next = i % 2 == 0 ? y * 1.0001 : y.Tanh();
            if (!ReferenceEquals(y, _leaf))
            {
                if (keepIntermediates) _kept.Add(y);
                else y.Dispose(); // the graph keeps what backward needs
            }
            y = next;
        }
        return y;
    }

    public void Dispose()
    {
        foreach (Tensor t in _kept) t.Dispose();
        _output.Dispose();
        _gradOut.Dispose();
        _leaf.Dispose();
    }
}

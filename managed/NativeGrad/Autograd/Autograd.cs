using NativeGrad.Interop;

namespace NativeGrad;

/// <summary>PyTorch's <c>torch.autograd</c>: backward over several roots, gradients without accumulation, grad mode.</summary>
public static unsafe class Autograd
{
    /// <summary>Whether operations on this thread record the autograd graph.</summary>
    public static bool IsGradEnabled
    {
        get
        {
            int e;
            NativeStatus.Check(NativeMethods.ng_grad_mode_is_enabled(&e));
            return e != 0;
        }
    }

    /// <summary>Disables graph recording on this thread until the returned scope is disposed.</summary>
    public static GradModeScope NoGrad() => new(false);

    /// <summary>Enables graph recording on this thread until the returned scope is disposed.</summary>
    public static GradModeScope EnableGrad() => new(true);

    /// <summary>
    /// Same as calling <see cref="Tensor.Backward"/> on each tensor with its gradient as the weight,
    /// in one pass over the graph.
    /// </summary>
    public static void Backward(IReadOnlyList<Tensor> tensors, IReadOnlyList<Tensor?>? gradTensors = null,
                                bool retainGraph = false, bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (gradTensors is not null && gradTensors.Count != tensors.Count)
            throw new ArgumentException($"Backward: {tensors.Count} tensors but {gradTensors.Count} gradients.", nameof(gradTensors));
        int n = tensors.Count;
        nint* roots = stackalloc nint[Math.Max(n, 1)];
        nint* grads = stackalloc nint[Math.Max(n, 1)];
        for (int i = 0; i < n; i++)
        {
            roots[i] = (tensors[i] ?? throw new ArgumentNullException(nameof(tensors), $"Tensor {i} is null.")).Handle;
            grads[i] = gradTensors?[i]?.Handle ?? 0;
        }
        NgStatus st = NativeMethods.ng_autograd_backward(roots, grads, n, retainGraph ? 1 : 0, createGraph ? 1 : 0);
        GC.KeepAlive(tensors);
        GC.KeepAlive(gradTensors);
        NativeStatus.Check(st);
    }

    /// <summary>
    /// The gradients of <paramref name="outputs"/> with respect to <paramref name="inputs"/>, without
    /// touching any <see cref="Tensor.Grad"/>. An input the outputs do not depend on is an error,
    /// unless <paramref name="allowUnused"/> (then its entry is null).
    /// </summary>
    public static Tensor?[] Grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs,
                                 IReadOnlyList<Tensor?>? gradOutputs = null, bool retainGraph = false,
                                 bool createGraph = false, bool allowUnused = false)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(inputs);
        if (gradOutputs is not null && gradOutputs.Count != outputs.Count)
            throw new ArgumentException($"Grad: {outputs.Count} outputs but {gradOutputs.Count} gradients.", nameof(gradOutputs));
        int n = outputs.Count, m = inputs.Count;
        var outs = new nint[Math.Max(n, 1)];
        var grads = new nint[Math.Max(n, 1)];
        var ins = new nint[Math.Max(m, 1)];
        var result = new nint[Math.Max(m, 1)];
        for (int i = 0; i < n; i++)
        {
            outs[i] = (outputs[i] ?? throw new ArgumentNullException(nameof(outputs), $"Output {i} is null.")).Handle;
            grads[i] = gradOutputs?[i]?.Handle ?? 0;
        }
        for (int i = 0; i < m; i++)
            ins[i] = (inputs[i] ?? throw new ArgumentNullException(nameof(inputs), $"Input {i} is null.")).Handle;
        NgStatus st;
        fixed (nint* po = outs, pg = grads, pi = ins, pr = result)
        {
            st = NativeMethods.ng_autograd_grad(po, pg, n, pi, m, retainGraph ? 1 : 0, createGraph ? 1 : 0,
                                                allowUnused ? 1 : 0, pr);
        }
        GC.KeepAlive(outputs);
        GC.KeepAlive(inputs);
        GC.KeepAlive(gradOutputs);
        NativeStatus.Check(st);
        var tensors = new Tensor?[m];
        for (int i = 0; i < m; i++) tensors[i] = result[i] == 0 ? null : new Tensor(result[i]);
        return tensors;
    }
}

/// <summary>Restores the previous grad mode of the thread when disposed.</summary>
public readonly unsafe struct GradModeScope : IDisposable
{
    private readonly int _previous;

    internal GradModeScope(bool enabled)
    {
        int previous;
        NativeStatus.Check(NativeMethods.ng_grad_mode_set(enabled ? 1 : 0, &previous));
        _previous = previous;
    }

    /// <summary>Restores the grad mode that was active before this scope.</summary>
    public void Dispose() => NativeStatus.Check(NativeMethods.ng_grad_mode_set(_previous, null));
}

using NativeGrad.Interop;

namespace NativeGrad.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight
/// decay, with PyTorch's update (torch.optim.SGD):
/// g ← ∇ + wd·p; b ← g (first step) or μ·b + (1 − dampening)·g; g ← g + μ·b (Nesterov) or b; p ← p − lr·g.
/// </summary>
public sealed unsafe class SGD : Optimizer
{
    private readonly double _lr, _momentum, _dampening, _weightDecay;
    private readonly bool _nesterov;

    /// <summary>SGD over <paramref name="parameters"/>.</summary>
    public SGD(IEnumerable<Tensor> parameters, double lr = 1e-3, double momentum = 0, double dampening = 0,
               bool nesterov = false, double weightDecay = 0)
        : this([new ParamGroup(parameters ?? throw new ArgumentNullException(nameof(parameters)))], lr, momentum, dampening, nesterov, weightDecay)
    {
    }

    /// <summary>SGD over parameter groups; options a group leaves unset come from the arguments.</summary>
    public SGD(IEnumerable<ParamGroup> groups, double lr = 1e-3, double momentum = 0, double dampening = 0,
               bool nesterov = false, double weightDecay = 0)
    {
        (_lr, _momentum, _dampening, _nesterov, _weightDecay) = (lr, momentum, dampening, nesterov, weightDecay);
        AddGroups(groups);
    }

    /// <inheritdoc/>
    protected override void ApplyDefaults(ParamGroup group)
    {
        group.Lr ??= _lr;
        group.Momentum ??= _momentum;
        group.Dampening ??= _dampening;
        group.Nesterov ??= _nesterov;
        group.WeightDecay ??= _weightDecay;
        if (group.Momentum < 0) throw new ArgumentException($"SGD: invalid momentum {group.Momentum}.", nameof(group));
        if (group.WeightDecay < 0) throw new ArgumentException($"SGD: invalid weight decay {group.WeightDecay}.", nameof(group));
        if (group.Nesterov == true && (group.Momentum <= 0 || group.Dampening != 0))
            throw new ArgumentException("SGD: Nesterov momentum requires a momentum and zero dampening.", nameof(group));
    }

    private protected override void Update(ParamGroup group, Tensor param, Tensor grad, ParameterState state)
    {
        double momentum = group.Momentum!.Value;
        Tensor? buffer = null;
        bool first = false;
        if (momentum != 0)
        {
            first = !state.Buffers.ContainsKey("momentum_buffer");
            buffer = state.ZerosLike("momentum_buffer", param);
        }
        state.Step++;
        NgStatus st = NativeMethods.ng_optim_sgd_step(param.Handle, grad.Handle, buffer is null ? 0 : buffer.Handle,
                                                      group.Lr!.Value, momentum, group.Dampening!.Value, group.WeightDecay!.Value,
                                                      group.Nesterov!.Value ? 1 : 0, first ? 1 : 0);
        GC.KeepAlive(param);
        GC.KeepAlive(grad);
        GC.KeepAlive(buffer);
        NativeStatus.Check(st);
    }
}

using NativeGrad.Interop;

namespace NativeGrad.Optim;

/// <summary>
/// Adam (torch.optim.Adam): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε),
/// with L2 weight decay added to the gradient and the optional AMSGrad maximum of v.
/// </summary>
public unsafe class Adam : Optimizer
{
    private readonly double _lr, _eps, _weightDecay;
    private readonly (double, double) _betas;
    private readonly bool _amsgrad;

    /// <summary>Adam over <paramref name="parameters"/>; <paramref name="betas"/> defaults to (0.9, 0.999).</summary>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
                double weightDecay = 0, bool amsgrad = false)
        : this([new ParamGroup(parameters ?? throw new ArgumentNullException(nameof(parameters)))], lr, betas, eps, weightDecay, amsgrad)
    {
    }

    /// <summary>Adam over parameter groups; options a group leaves unset come from the arguments.</summary>
    public Adam(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
                double weightDecay = 0, bool amsgrad = false)
    {
        (_lr, _betas, _eps, _weightDecay, _amsgrad) = (lr, betas ?? (0.9, 0.999), eps, weightDecay, amsgrad);
        AddGroups(groups);
    }

    /// <summary>True for AdamW: weight decay shrinks the parameter directly instead of adding to the gradient.</summary>
    protected virtual bool DecoupledWeightDecay => false;

    /// <inheritdoc/>
    protected override void ApplyDefaults(ParamGroup group)
    {
        group.Lr ??= _lr;
        group.Betas ??= _betas;
        group.Eps ??= _eps;
        group.WeightDecay ??= _weightDecay;
        group.Amsgrad ??= _amsgrad;
        (double b1, double b2) = group.Betas.Value;
        if (b1 is < 0 or >= 1 || b2 is < 0 or >= 1)
            throw new ArgumentException($"{GetType().Name}: invalid betas ({b1}, {b2}); each must be in [0, 1).", nameof(group));
        if (group.Eps < 0) throw new ArgumentException($"{GetType().Name}: invalid eps {group.Eps}.", nameof(group));
        if (group.WeightDecay < 0) throw new ArgumentException($"{GetType().Name}: invalid weight decay {group.WeightDecay}.", nameof(group));
    }

    private protected override void Update(ParamGroup group, Tensor param, Tensor grad, ParameterState state)
    {
        Tensor expAvg = state.ZerosLike("exp_avg", param);
        Tensor expAvgSq = state.ZerosLike("exp_avg_sq", param);
        bool ams = group.Amsgrad!.Value;
        Tensor? maxSq = ams ? state.ZerosLike("max_exp_avg_sq", param) : null;
        state.Step++;
        (double b1, double b2) = group.Betas!.Value;
        NgStatus st = NativeMethods.ng_optim_adam_step(param.Handle, grad.Handle, expAvg.Handle, expAvgSq.Handle,
                                                       maxSq is null ? 0 : maxSq.Handle, state.Step, group.Lr!.Value, b1, b2,
                                                       group.Eps!.Value, group.WeightDecay!.Value,
                                                       DecoupledWeightDecay ? 1 : 0, ams ? 1 : 0);
        GC.KeepAlive(param);
        GC.KeepAlive(grad);
        GC.KeepAlive(expAvg);
        GC.KeepAlive(expAvgSq);
        GC.KeepAlive(maxSq);
        NativeStatus.Check(st);
    }
}

/// <summary>
/// AdamW (torch.optim.AdamW): Adam with decoupled weight decay, p ← p·(1 − lr·wd) before the Adam
/// update. The default weight decay is 0.01, as in PyTorch.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>AdamW over <paramref name="parameters"/>.</summary>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
                 double weightDecay = 1e-2, bool amsgrad = false)
        : base(parameters, lr, betas, eps, weightDecay, amsgrad)
    {
    }

    /// <summary>AdamW over parameter groups.</summary>
    public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
                 double weightDecay = 1e-2, bool amsgrad = false)
        : base(groups, lr, betas, eps, weightDecay, amsgrad)
    {
    }

    /// <inheritdoc/>
    protected override bool DecoupledWeightDecay => true;
}

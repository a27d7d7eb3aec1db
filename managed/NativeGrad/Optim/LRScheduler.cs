namespace NativeGrad.Optim;

/// <summary>
/// Base class of learning-rate schedulers: each <see cref="Step"/> (once per epoch, after the
/// optimizer's steps) advances <see cref="LastEpoch"/> and sets every group's learning rate.
/// </summary>
public abstract class LRScheduler
{
    /// <summary>A scheduler of <paramref name="optimizer"/>'s learning rates, starting from each group's initial rate.</summary>
    protected LRScheduler(Optimizer optimizer)
    {
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        BaseLrs = optimizer.ParamGroups.Select(g => g.InitialLr).ToArray();
        LastEpoch = 0;
        foreach ((ParamGroup g, double lr) in optimizer.ParamGroups.Zip(BaseLrs)) g.Lr = lr;
    }

    /// <summary>The scheduled optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The initial learning rate of each group.</summary>
    public IReadOnlyList<double> BaseLrs { get; }

    /// <summary>Number of <see cref="Step"/> calls so far.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>The learning rate of each group as last set.</summary>
    public IReadOnlyList<double> GetLastLr() => Optimizer.ParamGroups.Select(g => g.Lr!.Value).ToArray();

    /// <summary>Advances one epoch and updates the learning rates.</summary>
    public void Step()
    {
        LastEpoch++;
        IReadOnlyList<ParamGroup> groups = Optimizer.ParamGroups;
        for (int i = 0; i < groups.Count; i++) groups[i].Lr = ComputeLr(i, groups[i].Lr!.Value);
    }

    /// <summary>The new learning rate of group <paramref name="groupIndex"/> at <see cref="LastEpoch"/>, from its current one.</summary>
    protected abstract double ComputeLr(int groupIndex, double currentLr);
}

/// <summary>Multiplies the learning rate by <c>gamma</c> every <c>stepSize</c> epochs (torch.optim.lr_scheduler.StepLR).</summary>
public sealed class StepLR : LRScheduler
{
    /// <summary>Decays by <paramref name="gamma"/> every <paramref name="stepSize"/> epochs.</summary>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        if (stepSize < 1) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "StepLR: step size must be >= 1.");
        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <summary>Epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>Decay factor.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double ComputeLr(int groupIndex, double currentLr) =>
        LastEpoch % StepSize == 0 ? currentLr * Gamma : currentLr;
}

/// <summary>
/// Cosine annealing from the initial rate to <c>etaMin</c> over <c>tMax</c> epochs
/// (torch.optim.lr_scheduler.CosineAnnealingLR, same recursive form, so it composes with manual changes):
/// η_t = η_min + (η_0 − η_min)(1 + cos(π t / T_max)) / 2.
/// </summary>
public sealed class CosineAnnealingLR : LRScheduler
{
    /// <summary>Anneals over <paramref name="tMax"/> epochs down to <paramref name="etaMin"/>.</summary>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0) : base(optimizer)
    {
        if (tMax < 1) throw new ArgumentOutOfRangeException(nameof(tMax), tMax, "CosineAnnealingLR: T_max must be >= 1.");
        TMax = tMax;
        EtaMin = etaMin;
    }

    /// <summary>Epochs of half a cosine period.</summary>
    public int TMax { get; }

    /// <summary>The minimum learning rate.</summary>
    public double EtaMin { get; }

    /// <inheritdoc/>
    protected override double ComputeLr(int groupIndex, double currentLr)
    {
        int t = LastEpoch;
        double baseLr = BaseLrs[groupIndex];
        if ((t - 1 - TMax) % (2 * TMax) == 0)
            return currentLr + (baseLr - EtaMin) * (1 - Math.Cos(Math.PI / TMax)) / 2;
        return (1 + Math.Cos(Math.PI * t / TMax)) / (1 + Math.Cos(Math.PI * (t - 1) / TMax)) * (currentLr - EtaMin) + EtaMin;
    }
}

namespace NativeGrad.Optim;

/// <summary>
/// A set of parameters with its own hyper-parameters (PyTorch's param_groups entry). Options left
/// null take the optimizer's defaults when the group is added.
/// </summary>
/// <example><code>new SGD([new ParamGroup(model.Backbone.Parameters()) { Lr = 1e-4 }, new ParamGroup(model.Head.Parameters())], lr: 1e-2)</code></example>
public sealed class ParamGroup
{
    /// <summary>A group of <paramref name="parameters"/> (each tensor must be a floating-point leaf).</summary>
    public ParamGroup(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters.ToArray();
    }

    /// <summary>The parameter tensors.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>Learning rate (schedulers change it).</summary>
    public double? Lr { get; set; }

    /// <summary>The learning rate when the group was added (schedulers start from it).</summary>
    public double InitialLr { get; internal set; }

    /// <summary>Weight decay (L2 penalty for SGD/Adam, decoupled for AdamW).</summary>
    public double? WeightDecay { get; set; }

    /// <summary>SGD momentum factor.</summary>
    public double? Momentum { get; set; }

    /// <summary>SGD dampening of the momentum.</summary>
    public double? Dampening { get; set; }

    /// <summary>SGD Nesterov momentum.</summary>
    public bool? Nesterov { get; set; }

    /// <summary>Adam coefficients of the running averages of the gradient and its square.</summary>
    public (double Beta1, double Beta2)? Betas { get; set; }

    /// <summary>Adam term added to the denominator.</summary>
    public double? Eps { get; set; }

    /// <summary>Adam's AMSGrad variant.</summary>
    public bool? Amsgrad { get; set; }
}

/// <summary>
/// Base class of the optimizers: parameter groups, per-parameter state (released by
/// <see cref="Dispose"/>), <see cref="ZeroGrad"/> and <see cref="Step()"/>. The arithmetic of each
/// update runs in the native core, one call per parameter tensor.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly List<ParamGroup> _groups = new();
    private readonly Dictionary<nint, ParameterState> _state = new();
    private bool _disposed;

    /// <summary>The parameter groups.</summary>
    public IReadOnlyList<ParamGroup> ParamGroups => _groups;

    /// <summary>Adds a group; its unset options take the optimizer's defaults.</summary>
    /// <exception cref="ArgumentException">A parameter is already in another group, or is not a floating-point leaf.</exception>
    public void AddParamGroup(ParamGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var existing = new HashSet<nint>(_groups.SelectMany(g => g.Parameters).Select(p => p.Handle));
        var own = new HashSet<nint>();
        foreach (Tensor p in group.Parameters)
        {
            ArgumentNullException.ThrowIfNull(p, nameof(group));
            if (!p.DType.IsFloatingPoint())
                throw new ArgumentException($"{GetType().Name}: can only optimize floating-point tensors, got {p.DType} of shape {Tensor.ShapeString(p.ShapeRef)}.", nameof(group));
            if (!p.IsLeaf)
                throw new ArgumentException($"{GetType().Name}: can't optimize a non-leaf tensor (shape {Tensor.ShapeString(p.ShapeRef)}).", nameof(group));
            if (existing.Contains(p.Handle))
                throw new ArgumentException($"{GetType().Name}: some parameters appear in more than one parameter group.", nameof(group));
            if (!own.Add(p.Handle))
                throw new ArgumentException($"{GetType().Name}: a parameter appears twice in one group.", nameof(group));
        }
        ApplyDefaults(group);
        if (group.Lr is null or < 0) throw new ArgumentException($"{GetType().Name}: invalid learning rate {group.Lr}.", nameof(group));
        group.InitialLr = group.Lr.Value;
        _groups.Add(group);
    }

    /// <summary>Fills the unset options of <paramref name="group"/> with this optimizer's defaults and validates them.</summary>
    protected abstract void ApplyDefaults(ParamGroup group);

    /// <summary>Adds the groups given to a constructor.</summary>
    protected void AddGroups(IEnumerable<ParamGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        foreach (ParamGroup g in groups) AddParamGroup(g);
        if (_groups.Count == 0) throw new ArgumentException($"{GetType().Name}: got an empty parameter list.", nameof(groups));
    }

    /// <summary>Clears the gradients of every parameter: null (default) or zeros.</summary>
    public void ZeroGrad(bool setToNull = true)
    {
        foreach (Tensor p in _groups.SelectMany(g => g.Parameters)) NN.Module.ZeroGradOf(p, setToNull);
    }

    /// <summary>Updates every parameter that has a gradient.</summary>
    public void Step()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (ParamGroup group in _groups)
        {
            foreach (Tensor p in group.Parameters)
            {
                using Tensor? grad = p.Grad;
                if (grad is null) continue;
                if (!_state.TryGetValue(p.Handle, out ParameterState? state))
                {
                    state = new ParameterState();
                    _state[p.Handle] = state;
                }
                Update(group, p, grad, state);
            }
        }
    }

    /// <summary>
    /// Re-evaluates the loss with <paramref name="closure"/> (which should zero the gradients,
    /// compute the loss and call Backward), then steps. Returns the loss.
    /// </summary>
    public Tensor Step(Func<Tensor> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        Tensor loss;
        using (Autograd.EnableGrad()) loss = closure();
        Step();
        return loss;
    }

    /// <summary>Updates one parameter in place from its gradient.</summary>
    private protected abstract void Update(ParamGroup group, Tensor param, Tensor grad, ParameterState state);

    /// <summary>The state buffers of <paramref name="param"/> by name (e.g. "momentum_buffer", "exp_avg"); empty before its first step.</summary>
    public IReadOnlyDictionary<string, Tensor> GetState(Tensor param)
    {
        ArgumentNullException.ThrowIfNull(param);
        return _state.TryGetValue(param.Handle, out ParameterState? s) ? s.Buffers : new Dictionary<string, Tensor>();
    }

    /// <summary>Number of steps taken for <paramref name="param"/> (0 before the first).</summary>
    public long GetStepCount(Tensor param)
    {
        ArgumentNullException.ThrowIfNull(param);
        return _state.TryGetValue(param.Handle, out ParameterState? s) ? s.Step : 0;
    }

    /// <summary>Releases the state buffers.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (ParameterState s in _state.Values) s.Dispose();
        _state.Clear();
        GC.SuppressFinalize(this);
    }

    /// <summary>Buffers and the step count of one parameter.</summary>
    private protected sealed class ParameterState : IDisposable
    {
        public long Step;
        public readonly Dictionary<string, Tensor> Buffers = new();

        // State tensors live as long as the optimizer, outside any DisposeScope.
        public Tensor ZerosLike(string name, Tensor p)
        {
            if (Buffers.TryGetValue(name, out Tensor? t)) return t;
            t = Tensor.Zeros(p.ShapeRef, p.DType).DetachFromDisposeScope();
            Buffers[name] = t;
            return t;
        }

        public void Dispose()
        {
            foreach (Tensor t in Buffers.Values) t.Dispose();
            Buffers.Clear();
        }
    }
}

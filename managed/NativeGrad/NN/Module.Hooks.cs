namespace NativeGrad.NN;

/// <summary>Runs before <see cref="Module.Forward(Tensor)"/>; returns a replacement input, or null to keep it.</summary>
public delegate Tensor? ForwardPreHook(Module module, Tensor input);

/// <summary>Runs after <see cref="Module.Forward(Tensor)"/>; returns a replacement output, or null to keep it.</summary>
public delegate Tensor? ForwardHook(Module module, Tensor input, Tensor output);

/// <summary>
/// Runs during backward once the gradient with respect to the module's input is known.
/// <paramref name="gradInput"/> is null when the input does not require grad. Returns a replacement
/// for <paramref name="gradInput"/> (what flows further back), or null to keep it.
/// </summary>
public delegate Tensor? FullBackwardHook(Module module, Tensor? gradInput, Tensor gradOutput);

public abstract partial class Module
{
    private readonly HookList<ForwardPreHook> _forwardPreHooks = new();
    private readonly HookList<ForwardHook> _forwardHooks = new();
    private readonly HookList<FullBackwardHook> _backwardHooks = new();

    /// <summary>
    /// Runs the module: forward-pre hooks (which may replace the input), <see cref="Forward(Tensor)"/>,
    /// forward hooks (which may replace the output), and wires full backward hooks into the graph.
    /// Exceptions thrown by hooks reach the caller unchanged (backward hooks: the caller of Backward).
    /// </summary>
    public Tensor Call(Tensor input) => CallCore(input, Forward);

    /// <summary>
    /// The body of <see cref="Call(Tensor)"/> around any forward function: modules with extra
    /// arguments (losses take a target) route their own call through here so hooks apply to them too.
    /// </summary>
    protected Tensor CallCore(Tensor input, Func<Tensor, Tensor> forward)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(forward);
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (ForwardPreHook hook in _forwardPreHooks.Snapshot())
        {
            Tensor? replaced = hook(this, input);
            if (replaced is not null) input = replaced;
        }
        BackwardHookCall? backward = null;
        if (!_backwardHooks.IsEmpty && Autograd.IsGradEnabled)
        {
            backward = new BackwardHookCall(this, _backwardHooks.Snapshot());
            input = backward.SetupInput(input);
        }
        Tensor output = forward(input);
        foreach (ForwardHook hook in _forwardHooks.Snapshot())
        {
            Tensor? replaced = hook(this, input, output);
            if (replaced is not null) output = replaced;
        }
        if (backward is not null) output = backward.SetupOutput(output);
        return output;
    }

    /// <summary>Registers a hook run before each forward; it may return a replacement input.</summary>
    public RemovableHandle RegisterForwardPreHook(ForwardPreHook hook) => _forwardPreHooks.Add(hook);

    /// <summary>Registers a hook run before each forward that only observes the input.</summary>
    public RemovableHandle RegisterForwardPreHook(Action<Module, Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return _forwardPreHooks.Add((m, i) => { hook(m, i); return null; });
    }

    /// <summary>Registers a hook run after each forward with the input and output; it may return a replacement output.</summary>
    public RemovableHandle RegisterForwardHook(ForwardHook hook) => _forwardHooks.Add(hook);

    /// <summary>Registers a hook run after each forward that only observes the input and output.</summary>
    public RemovableHandle RegisterForwardHook(Action<Module, Tensor, Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return _forwardHooks.Add((m, i, o) => { hook(m, i, o); return null; });
    }

    /// <summary>
    /// Registers a full backward hook (PyTorch's <c>register_full_backward_hook</c>): called with the
    /// gradients with respect to the module's input and output of each call made after registration;
    /// the returned tensor, if any, replaces the input gradient that flows further back.
    /// </summary>
    public RemovableHandle RegisterFullBackwardHook(FullBackwardHook hook) => _backwardHooks.Add(hook);

    /// <summary>Registers a full backward hook that only observes the gradients.</summary>
    public RemovableHandle RegisterFullBackwardHook(Action<Module, Tensor?, Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return _backwardHooks.Add((m, gi, go) => { hook(m, gi, go); return null; });
    }

    /// <summary>
    /// The backward-hook wiring of one call, as PyTorch's BackwardHook: the input and the output
    /// pass through identity views, and tensor hooks on those views see exactly the gradients that
    /// flow through this call. The output hook stores gradOutput; the input hook, which runs after
    /// it, calls the module hooks and may replace gradInput.
    /// </summary>
    private sealed class BackwardHookCall(Module module, FullBackwardHook[] hooks)
    {
        private Tensor? _gradOutput;
        private bool _inputRequiresGrad;

        public Tensor SetupInput(Tensor input)
        {
            _inputRequiresGrad = input.RequiresGrad;
            if (!_inputRequiresGrad) return input;
            Tensor identity = input.View(input.ShapeRef);
            identity.RegisterHook(OnGradInput);
            return identity;
        }

        public Tensor SetupOutput(Tensor output)
        {
            if (!output.RequiresGrad) return output;
            Tensor identity = output.View(output.ShapeRef);
            identity.RegisterHook(OnGradOutput);
            return identity;
        }

        private Tensor? OnGradOutput(Tensor grad)
        {
            _gradOutput = grad;
            // No gradient will reach the input: the hooks run now, with gradInput = null.
            if (!_inputRequiresGrad) Run(null);
            return null;
        }

        private Tensor? OnGradInput(Tensor grad)
        {
            Tensor current = Run(grad) ?? grad;
            return ReferenceEquals(current, grad) ? null : current;
        }

        private Tensor? Run(Tensor? gradInput)
        {
            if (_gradOutput is null)
                throw new InvalidOperationException(
                    $"{module.TypeName}: the input gradient arrived before the output gradient; a full backward hook needs the module's output to be used in the graph.");
            Tensor? current = gradInput;
            foreach (FullBackwardHook hook in hooks)
            {
                Tensor? replaced = hook(module, current, _gradOutput);
                if (replaced is null) continue;
                if (current is null)
                    throw new InvalidOperationException(
                        $"{module.TypeName}: a full backward hook returned a gradient for an input that does not require grad.");
                current = replaced;
            }
            return current;
        }
    }
}

/// <summary>An ordered list of hooks whose removal handles stay valid while others are added or removed.</summary>
internal sealed class HookList<T> where T : class
{
    private readonly List<(long Id, T Hook)> _hooks = new();
    private long _nextId;

    public bool IsEmpty
    {
        get
        {
            lock (_hooks) return _hooks.Count == 0;
        }
    }

    public RemovableHandle Add(T hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        long id;
        lock (_hooks)
        {
            id = _nextId++;
            _hooks.Add((id, hook));
        }
        return new RemovableHandle(() =>
        {
            lock (_hooks) _hooks.RemoveAll(h => h.Id == id);
        });
    }

    // Hooks added or removed while hooks run take effect from the next call.
    public T[] Snapshot()
    {
        lock (_hooks)
        {
            if (_hooks.Count == 0) return [];
            var result = new T[_hooks.Count];
            for (int i = 0; i < result.Length; i++) result[i] = _hooks[i].Hook;
            return result;
        }
    }
}

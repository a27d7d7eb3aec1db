namespace NativeGrad.NN;

/// <summary>
/// Returns the outputs of named submodules (dotted paths such as "layer1.0.conv1") from one forward
/// pass of a model, without editing the model: forward hooks are attached for the pass only.
/// </summary>
/// <example>
/// <code>
/// var extractor = new FeatureExtractor(resnet, "conv1", "layer1", "fc");
/// IReadOnlyDictionary&lt;string, Tensor&gt; features = extractor.Extract(images);
/// Tensor layer1 = features["layer1"];
/// </code>
/// </example>
public sealed class FeatureExtractor
{
    private readonly Module _model;
    private readonly (string Name, Module Module)[] _targets;

    /// <summary>An extractor of the outputs of <paramref name="names"/> in <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">A name is not a submodule; the message lists the valid names.</exception>
    public FeatureExtractor(Module model, params string[] names)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(names);
        if (names.Length == 0) throw new ArgumentException("FeatureExtractor: give at least one submodule name.", nameof(names));
        _model = model;
        _targets = ResolveModules(model, names);
    }

    /// <summary>The requested names, in order.</summary>
    public IReadOnlyList<string> Names => _targets.Select(t => t.Name).ToArray();

    /// <summary>The model's own output of the last <see cref="Extract"/>.</summary>
    public Tensor? LastOutput { get; private set; }

    /// <summary>
    /// Runs <c>model.Call(input)</c> once and returns each requested submodule's output, in the order
    /// the names were given (the last call's output for a module called more than once).
    /// </summary>
    /// <exception cref="InvalidOperationException">A requested submodule was not called by the forward pass.</exception>
    public IReadOnlyDictionary<string, Tensor> Extract(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var captured = new Dictionary<string, Tensor>();
        var handles = new List<RemovableHandle>();
        try
        {
            foreach ((string name, Module m) in _targets)
            {
                string key = name;
                handles.Add(m.RegisterForwardHook((Module _, Tensor _, Tensor output) => { captured[key] = output; }));
            }
            LastOutput = _model.Call(input);
        }
        finally
        {
            foreach (RemovableHandle h in handles) h.Remove();
        }
        string[] notCalled = _targets.Select(t => t.Name).Where(n => !captured.ContainsKey(n)).ToArray();
        if (notCalled.Length > 0)
            throw new InvalidOperationException(
                $"FeatureExtractor: the forward pass of {_model.TypeName} never called {string.Join(", ", notCalled)}.");
        var ordered = new OrderedDictionary<string, Tensor>();
        foreach ((string name, _) in _targets) ordered[name] = captured[name];
        return ordered;
    }

    internal static (string, Module)[] ResolveModules(Module model, string[] names)
    {
        var all = model.NamedModules().Where(m => m.Name.Length > 0).ToList();
        var byName = new Dictionary<string, Module>();
        foreach ((string n, Module m) in all) byName.TryAdd(n, m);
        var unknown = names.Where(n => n is null || !byName.ContainsKey(n)).ToArray();
        if (unknown.Length > 0)
            throw new ArgumentException(
                $"{model.TypeName} has no submodule named {string.Join(", ", unknown.Select(u => $"'{u}'"))}. Valid names: {string.Join(", ", all.Select(a => a.Name))}.",
                nameof(names));
        return names.Select(n => (n, byName[n])).ToArray();
    }
}

/// <summary>
/// Captures, during backward, the gradients flowing through named submodules: the gradient with
/// respect to each module's output (<see cref="GradOutput"/>, what Grad-CAM needs) and with respect
/// to its input (<see cref="GradInput"/>). Built on full backward hooks, so it sees the forward
/// passes made after it was created; dispose it to remove the hooks and release the captured tensors.
/// </summary>
public sealed class GradientCollector : IDisposable
{
    private readonly List<RemovableHandle> _handles = new();
    private readonly Dictionary<string, Tensor> _gradOutputs = new();
    private readonly Dictionary<string, Tensor> _gradInputs = new();
    private readonly object _lock = new();

    /// <summary>Starts capturing the gradients of <paramref name="names"/> in <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">A name is not a submodule; the message lists the valid names.</exception>
    public GradientCollector(Module model, params string[] names)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(names);
        foreach ((string name, Module m) in FeatureExtractor.ResolveModules(model, names))
        {
            string key = name;
            _handles.Add(m.RegisterFullBackwardHook((Module _, Tensor? gradInput, Tensor gradOutput) => Store(key, gradInput, gradOutput)));
        }
    }

    private void Store(string name, Tensor? gradInput, Tensor gradOutput)
    {
        lock (_lock)
        {
            // Keep private references: the hook's gradient objects belong to the backward pass.
            Replace(_gradOutputs, name, gradOutput.Detach().DetachFromDisposeScope());
            if (gradInput is not null) Replace(_gradInputs, name, gradInput.Detach().DetachFromDisposeScope());
        }
    }

    private static void Replace(Dictionary<string, Tensor> dict, string name, Tensor value)
    {
        if (dict.TryGetValue(name, out Tensor? old)) old.Dispose();
        dict[name] = value;
    }

    /// <summary>The gradient with respect to the output of <paramref name="name"/> from the latest backward pass.</summary>
    /// <exception cref="KeyNotFoundException">No gradient has reached that module yet.</exception>
    public Tensor GradOutput(string name)
    {
        lock (_lock)
        {
            return _gradOutputs.TryGetValue(name, out Tensor? t) ? t
                : throw new KeyNotFoundException($"GradientCollector: no gradient has flowed out of '{name}' yet (run a forward pass after creating the collector, then backward).");
        }
    }

    /// <summary>The gradient with respect to the input of <paramref name="name"/>, or null when its input does not require grad.</summary>
    public Tensor? GradInput(string name)
    {
        lock (_lock) return _gradInputs.TryGetValue(name, out Tensor? t) ? t : null;
    }

    /// <summary>Same as <see cref="GradOutput"/>.</summary>
    public Tensor this[string name] => GradOutput(name);

    /// <summary>Names that received a gradient so far.</summary>
    public IReadOnlyCollection<string> CapturedNames
    {
        get
        {
            lock (_lock) return _gradOutputs.Keys.ToArray();
        }
    }

    /// <summary>Releases the captured gradients (the hooks stay).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            foreach (Tensor t in _gradOutputs.Values) t.Dispose();
            foreach (Tensor t in _gradInputs.Values) t.Dispose();
            _gradOutputs.Clear();
            _gradInputs.Clear();
        }
    }

    /// <summary>Removes the hooks and releases the captured gradients.</summary>
    public void Dispose()
    {
        foreach (RemovableHandle h in _handles) h.Remove();
        _handles.Clear();
        Clear();
    }
}

using System.Reflection;

namespace NativeGrad.NN;

/// <summary>
/// Base class of every layer and network, PyTorch's <c>torch.nn.Module</c>: owns parameters,
/// buffers and child modules (registered by name, in order), runs hooks around
/// <see cref="Forward(Tensor)"/> in <see cref="Call(Tensor)"/>, saves and loads state, and releases
/// its native memory in <see cref="Dispose()"/>.
/// </summary>
public abstract partial class Module : IDisposable
{
    private readonly OrderedDictionary<string, Module?> _modules = new();
    private readonly OrderedDictionary<string, Parameter?> _parameters = new();
    private readonly OrderedDictionary<string, Tensor?> _buffers = new();
    private readonly HashSet<string> _nonPersistentBuffers = new();
    private bool _disposed;

    /// <summary>Creates a module in training mode.</summary>
    protected Module() => IsTraining = true;

    /// <summary>The computation of this module. Call <see cref="Call(Tensor)"/> to run hooks too.</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>.</summary>
    public bool IsTraining { get; private set; }

    /// <summary>The type name used in printouts (e.g. "Conv2d").</summary>
    public virtual string TypeName => GetType().Name;

    /// <summary>Extra text shown in parentheses by <see cref="ToString"/>, e.g. "3, 6, kernel_size=(5, 5)".</summary>
    protected virtual string ExtraRepr() => "";

    // ---- registration ---------------------------------------------------------------------------

    /// <summary>
    /// Registers the fields (and auto-properties) of the concrete type, base classes first, in
    /// declaration order: <see cref="Module"/>s as children, <see cref="Parameter"/>s as parameters,
    /// and <see cref="Tensor"/>s marked <see cref="BufferAttribute"/> as buffers, each under its
    /// field name (an auto-property under its property name). Null fields are skipped; fields marked
    /// <see cref="IgnoreComponentAttribute"/> are ignored.
    /// </summary>
    protected void RegisterComponents()
    {
        var chain = new List<Type>();
        for (Type? t = GetType(); t is not null && t != typeof(Module); t = t.BaseType) chain.Add(t);
        chain.Reverse();
        const BindingFlags flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        foreach (Type type in chain)
        {
            foreach (FieldInfo field in type.GetFields(flags).OrderBy(f => f.MetadataToken))
            {
                (string name, MemberInfo member) = ComponentName(type, field);
                if (member.IsDefined(typeof(IgnoreComponentAttribute))) continue;
                object? value = field.GetValue(this);
                switch (value)
                {
                    case Module m:
                        RegisterModule(name, m);
                        break;
                    case Parameter p:
                        RegisterParameter(name, p);
                        break;
                    case Tensor t when member.GetCustomAttribute<BufferAttribute>() is { } buffer:
                        RegisterBuffer(name, t, buffer.Persistent);
                        break;
                }
            }
        }
    }

    // Auto-property backing fields are named "<Name>k__BackingField": register them as "Name" and
    // read attributes from the property.
    private static (string, MemberInfo) ComponentName(Type type, FieldInfo field)
    {
        string n = field.Name;
        if (n.StartsWith('<') && n.EndsWith(">k__BackingField", StringComparison.Ordinal))
        {
            string prop = n[1..n.IndexOf('>')];
            PropertyInfo? p = type.GetProperty(prop, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
            return (prop, (MemberInfo?)p ?? field);
        }
        return (n, field);
    }

    private void CheckName(string name, string kind, object? self)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('.'))
            throw new ArgumentException($"{TypeName}: {kind} name '{name}' must not contain '.'.", nameof(name));
        if ((_modules.ContainsKey(name) && kind != "module") || (_parameters.ContainsKey(name) && kind != "parameter") ||
            (_buffers.ContainsKey(name) && kind != "buffer"))
            throw new ArgumentException($"{TypeName}: '{name}' is already registered as another kind of component.", nameof(name));
        if (ReferenceEquals(self, this))
            throw new ArgumentException($"{TypeName}: a module cannot be its own child.", nameof(name));
    }

    /// <summary>Adds (or replaces) a child module under <paramref name="name"/>; null reserves the name. Returns the module.</summary>
    public T? RegisterModule<T>(string name, T? module) where T : Module
    {
        CheckName(name, "module", module);
        _modules[name] = module;
        return module;
    }

    /// <summary>Adds (or replaces) a parameter under <paramref name="name"/>; null reserves the name. Returns it.</summary>
    public Parameter? RegisterParameter(string name, Parameter? parameter)
    {
        CheckName(name, "parameter", null);
        _parameters[name] = parameter;
        return parameter;
    }

    /// <summary>
    /// Adds (or replaces) a buffer under <paramref name="name"/>: module state that is not trained.
    /// The module takes ownership of the tensor (it leaves any <see cref="DisposeScope"/>).
    /// Non-persistent buffers are not part of the state dict. Returns the tensor.
    /// </summary>
    public Tensor? RegisterBuffer(string name, Tensor? tensor, bool persistent = true)
    {
        CheckName(name, "buffer", null);
        tensor?.DetachFromDisposeScope();
        _buffers[name] = tensor;
        if (persistent) _nonPersistentBuffers.Remove(name);
        else _nonPersistentBuffers.Add(name);
        return tensor;
    }

    /// <summary>The direct child named <paramref name="name"/>, or null.</summary>
    public Module? GetChild(string name) => _modules.TryGetValue(name, out Module? m) ? m : null;

    /// <summary>The direct parameter named <paramref name="name"/>, or null.</summary>
    public Parameter? GetParameter(string name) => _parameters.TryGetValue(name, out Parameter? p) ? p : null;

    /// <summary>The direct buffer named <paramref name="name"/>, or null.</summary>
    public Tensor? GetBuffer(string name) => _buffers.TryGetValue(name, out Tensor? b) ? b : null;

    /// <summary>The submodule at a dotted path ("" is this module), e.g. "layer1.0.conv1".</summary>
    /// <exception cref="ArgumentException">No such submodule; the message lists the valid names.</exception>
    public Module GetSubmodule(string target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Length == 0) return this;
        Module current = this;
        foreach (string part in target.Split('.'))
        {
            Module? next = current.GetChild(part);
            if (next is null)
                throw new ArgumentException(
                    $"{TypeName} has no submodule '{target}'. Valid names: {string.Join(", ", NamedModules().Select(x => x.Name).Where(n => n.Length > 0))}.",
                    nameof(target));
            current = next;
        }
        return current;
    }

    // ---- traversal ------------------------------------------------------------------------------

    /// <summary>The direct children, each once.</summary>
    public IEnumerable<Module> Children() => NamedChildren().Select(c => c.Module);

    /// <summary>The direct children with their names, each module once.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        foreach (KeyValuePair<string, Module?> kv in _modules)
        {
            if (kv.Value is not null && seen.Add(kv.Value)) yield return (kv.Key, kv.Value);
        }
    }

    /// <summary>This module and all submodules with dotted names ("" for this one), pre-order, each module once.</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        return NamedModulesCore(prefix, seen, removeDuplicate: true);
    }

    private IEnumerable<(string, Module)> NamedModulesCore(string prefix, HashSet<Module> seen, bool removeDuplicate)
    {
        if (removeDuplicate && !seen.Add(this)) yield break;
        yield return (prefix, this);
        foreach (KeyValuePair<string, Module?> kv in _modules)
        {
            if (kv.Value is null) continue;
            string name = prefix.Length == 0 ? kv.Key : prefix + "." + kv.Key;
            foreach ((string, Module) sub in kv.Value.NamedModulesCore(name, seen, removeDuplicate)) yield return sub;
        }
    }

    /// <summary>This module and all submodules, each once.</summary>
    public IEnumerable<Module> Modules() => NamedModules().Select(m => m.Module);

    /// <summary>
    /// The parameter tensors (of submodules too when <paramref name="recurse"/>), each once by
    /// identity even when a layer is shared or a parameter registered twice.
    /// </summary>
    public IEnumerable<Tensor> Parameters(bool recurse = true) => NamedParameters(recurse: recurse).Select(p => p.Parameter);

    /// <summary>The parameter tensors with dotted names, each once by identity (the first name found wins).</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(string prefix = "", bool recurse = true)
    {
        var seen = new HashSet<nint>();
        IEnumerable<(string, Module)> modules = recurse ? NamedModules(prefix) : [(prefix, this)];
        foreach ((string mp, Module m) in modules)
        {
            foreach (KeyValuePair<string, Parameter?> kv in m._parameters)
            {
                if (kv.Value is null || !seen.Add(kv.Value.Tensor.Handle)) continue;
                yield return (mp.Length == 0 ? kv.Key : mp + "." + kv.Key, kv.Value.Tensor);
            }
        }
    }

    /// <summary>The <see cref="Parameter"/> objects with dotted names, each once by identity.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameterObjects(bool recurse = true)
    {
        var seen = new HashSet<nint>();
        IEnumerable<(string, Module)> modules = recurse ? NamedModules() : [("", this)];
        foreach ((string mp, Module m) in modules)
        {
            foreach (KeyValuePair<string, Parameter?> kv in m._parameters)
            {
                if (kv.Value is null || !seen.Add(kv.Value.Tensor.Handle)) continue;
                yield return (mp.Length == 0 ? kv.Key : mp + "." + kv.Key, kv.Value);
            }
        }
    }

    /// <summary>The buffers (of submodules too when <paramref name="recurse"/>), each once.</summary>
    public IEnumerable<Tensor> Buffers(bool recurse = true) => NamedBuffers(recurse: recurse).Select(b => b.Buffer);

    /// <summary>The buffers with dotted names, each once by identity.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "", bool recurse = true)
    {
        var seen = new HashSet<nint>();
        IEnumerable<(string, Module)> modules = recurse ? NamedModules(prefix) : [(prefix, this)];
        foreach ((string mp, Module m) in modules)
        {
            foreach (KeyValuePair<string, Tensor?> kv in m._buffers)
            {
                if (kv.Value is null || !seen.Add(kv.Value.Handle)) continue;
                yield return (mp.Length == 0 ? kv.Key : mp + "." + kv.Key, kv.Value);
            }
        }
    }

    // ---- modes and gradients -------------------------------------------------------------------

    /// <summary>Sets training mode (true) or evaluation mode (false) on this module and all submodules. Returns this module.</summary>
    public virtual Module Train(bool mode = true)
    {
        IsTraining = mode;
        foreach (Module child in Children()) child.Train(mode);
        return this;
    }

    /// <summary>Evaluation mode: dropout off, batch norm uses its running statistics. Returns this module.</summary>
    public Module Eval() => Train(false);

    /// <summary>
    /// Clears the gradients of all parameters: sets them to null (the default, as PyTorch), or
    /// fills them with zeros when <paramref name="setToNull"/> is false.
    /// </summary>
    public void ZeroGrad(bool setToNull = true)
    {
        foreach (Tensor p in Parameters()) ZeroGradOf(p, setToNull);
    }

    internal static void ZeroGradOf(Tensor p, bool setToNull)
    {
        if (setToNull)
        {
            p.Grad = null;
            return;
        }
        using Tensor? g = p.Grad;
        if (g is null) return;
        using (Autograd.NoGrad()) g.Zero_();
    }

    /// <summary>Calls <paramref name="fn"/> on every submodule (children first) and then on this module. Returns this module.</summary>
    public Module Apply(Action<Module> fn)
    {
        ArgumentNullException.ThrowIfNull(fn);
        foreach (Module child in Children()) child.Apply(fn);
        fn(this);
        return this;
    }

    /// <summary>Freezes (false) or unfreezes (true) every parameter. Returns this module.</summary>
    public Module RequiresGrad_(bool requiresGrad = true)
    {
        foreach (Tensor p in Parameters()) p.RequiresGrad = requiresGrad;
        return this;
    }

    // ---- printing ------------------------------------------------------------------------------

    /// <summary>The module tree in PyTorch's print format.</summary>
    public override string ToString()
    {
        var children = _modules.Where(kv => kv.Value is not null).ToList();
        string head = TypeName + "(" + ExtraRepr();
        if (children.Count == 0) return head + ")";
        var sb = new System.Text.StringBuilder(head).Append('\n');
        foreach (KeyValuePair<string, Module?> kv in children)
        {
            string inner = kv.Value!.ToString().Replace("\n", "\n  ");
            sb.Append("  (").Append(kv.Key).Append("): ").Append(inner).Append('\n');
        }
        return sb.Append(')').ToString();
    }

    // ---- lifetime ------------------------------------------------------------------------------

    /// <summary>True once <see cref="Dispose()"/> has run.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>Releases the parameters and buffers of this module and all submodules (shared ones once).</summary>
    public void Dispose()
    {
        foreach (Module m in Modules().ToList()) m.DisposeOwn();
        GC.SuppressFinalize(this);
    }

    private void DisposeOwn()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (Parameter? p in _parameters.Values) p?.Dispose();
        foreach (Tensor? b in _buffers.Values) b?.Dispose();
        Dispose(disposing: true);
    }

    /// <summary>Releases resources a subclass holds besides its registered parameters and buffers.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}

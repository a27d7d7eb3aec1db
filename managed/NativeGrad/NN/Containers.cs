using System.Collections;

namespace NativeGrad.NN;

/// <summary>Runs its modules one after another; children are named "0", "1", ….</summary>
public sealed class Sequential : Module, IEnumerable<Module>
{
    private readonly List<Module> _layers = new();

    /// <summary>A sequence of <paramref name="modules"/>.</summary>
    public Sequential(params Module[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (Module m in modules) Append(m);
    }

    /// <summary>A sequence of named modules (names instead of "0", "1", …).</summary>
    public Sequential(IEnumerable<(string Name, Module Module)> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach ((string name, Module m) in modules)
        {
            ArgumentNullException.ThrowIfNull(m);
            RegisterModule(name, m);
            _layers.Add(m);
        }
    }

    /// <summary>Adds a module at the end (named by its position). Returns this sequence.</summary>
    public Sequential Append(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        _layers.Add(module);
        return this;
    }

    /// <summary>Number of modules.</summary>
    public int Count => _layers.Count;

    /// <summary>The module at <paramref name="index"/> (negative counts from the end).</summary>
    public Module this[int index] => _layers[index < 0 ? index + _layers.Count : index];

    /// <summary>Feeds the input through every module in order (with their hooks).</summary>
    public override Tensor Forward(Tensor input)
    {
        Tensor x = input;
        foreach (Module m in _layers) x = m.Call(x);
        return x;
    }

    /// <inheritdoc/>
    public IEnumerator<Module> GetEnumerator() => _layers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A list of registered modules (children "0", "1", …); it has no forward of its own.</summary>
public sealed class ModuleList : Module, IReadOnlyList<Module>
{
    private readonly List<Module> _items = new();

    /// <summary>A list holding <paramref name="modules"/>.</summary>
    public ModuleList(params Module[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (Module m in modules) Add(m);
    }

    /// <summary>Appends a module.</summary>
    public void Add(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        _items.Add(module);
    }

    /// <inheritdoc/>
    public int Count => _items.Count;

    /// <inheritdoc/>
    public Module this[int index] => _items[index < 0 ? index + _items.Count : index];

    /// <summary>A module list is a container; call its items instead.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override Tensor Forward(Tensor input) =>
        throw new NotSupportedException("ModuleList has no forward; iterate over it and call its modules.");

    /// <inheritdoc/>
    public IEnumerator<Module> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

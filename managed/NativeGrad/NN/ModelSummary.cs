using System.Globalization;
using System.Text;

namespace NativeGrad.NN;

/// <summary>One call of a submodule during the summary's forward pass.</summary>
/// <param name="Name">Dotted path of the module.</param>
/// <param name="TypeName">Layer type, e.g. "Conv2d".</param>
/// <param name="OutputShape">Output shape, the batch dimension shown as -1.</param>
/// <param name="ParameterCount">Elements of the module's own parameters.</param>
/// <param name="IsRepeatCall">True when the module was already called earlier in the pass (shared layer):
/// its parameters are counted once, at the first call.</param>
public sealed record LayerCall(string Name, string TypeName, long[] OutputShape, long ParameterCount, bool IsRepeatCall);

/// <summary>
/// A torchsummary-style description of a model from one forward pass, with totals that stay right
/// when layers are shared or unused: parameters actually used by the pass (each shared parameter
/// once), parameters registered, trainable vs frozen, and the registered modules never called.
/// </summary>
public sealed class ModelSummary
{
    private ModelSummary()
    {
    }

    /// <summary>The model's type name.</summary>
    public string ModelName { get; private init; } = "";

    /// <summary>Input shape given (without the batch dimension).</summary>
    public long[] InputShape { get; private init; } = [];

    /// <summary>Every submodule call of the pass, in call order.</summary>
    public IReadOnlyList<LayerCall> Calls { get; private init; } = [];

    /// <summary>Elements of the parameters the forward pass used, each parameter once.</summary>
    public long UsedParameters { get; private init; }

    /// <summary>Elements of all registered parameters (each once, even when registered under several names).</summary>
    public long RegisteredParameters { get; private init; }

    /// <summary>Registered parameter elements that require grad.</summary>
    public long TrainableParameters { get; private init; }

    /// <summary>Registered parameter elements that do not require grad.</summary>
    public long FrozenParameters => RegisteredParameters - TrainableParameters;

    /// <summary>Used parameter elements that require grad.</summary>
    public long UsedTrainableParameters { get; private init; }

    /// <summary>Registered parameter elements the forward pass never used.</summary>
    public long UnusedParameters => RegisteredParameters - UsedParameters;

    /// <summary>Dotted names of registered modules that neither they nor any of their submodules were called.</summary>
    public IReadOnlyList<string> UnusedModules { get; private init; } = [];

    /// <summary>Bytes of one input batch.</summary>
    public long InputBytes { get; private init; }

    /// <summary>Bytes of the outputs of all calls of one forward pass (the activations autograd keeps).</summary>
    public long ActivationBytes { get; private init; }

    /// <summary>Bytes of the registered parameters.</summary>
    public long ParameterBytes { get; private init; }

    /// <summary>Bytes of the registered buffers.</summary>
    public long BufferBytes { get; private init; }

    /// <summary>Input + forward/backward activations (twice the outputs, as torchsummary) + parameters + buffers.</summary>
    public long EstimatedTotalBytes => InputBytes + 2 * ActivationBytes + ParameterBytes + BufferBytes;

    /// <summary>
    /// Runs <paramref name="model"/> once on a random float32 batch of <paramref name="batchSize"/>
    /// inputs of shape <paramref name="inputShape"/> (without the batch dimension, as torchsummary)
    /// in evaluation mode, and summarises it. The model's modes, gradients and running statistics
    /// are left as they were.
    /// </summary>
    public static ModelSummary Of(Module model, long[] inputShape, int batchSize = 2)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputShape);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "ModelSummary: batch size must be >= 1.");

        var modules = model.NamedModules().ToList();
        var nameOf = new Dictionary<Module, string>(ReferenceEqualityComparer.Instance);
        foreach ((string n, Module m) in modules) nameOf[m] = n;

        // Rows are opened by the pre-hook (call order) and completed by the forward hook; a stack
        // per module pairs them up even when a module's call nests inside another call of itself.
        var pending = new Dictionary<Module, Stack<int>>(ReferenceEqualityComparer.Instance);
        var rows = new List<LayerCall>();
        var called = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        long activationBytes = 0;
        var handles = new List<RemovableHandle>();
        var usedParams = new Dictionary<nint, Tensor>();
        var modes = modules.Select(m => (m.Module, m.Module.IsTraining)).ToList();
        long[] fullShape = [batchSize, .. inputShape];
        long inputBytes;

        using (var scope = DisposeScope.Begin())
        {
            try
            {
                foreach ((string name, Module m) in modules)
                {
                    bool listed = m != model && m is not Sequential && m is not ModuleList;
                    handles.Add(m.RegisterForwardPreHook((Module mod, Tensor _) =>
                    {
                        bool repeat = !called.Add(mod);
                        if (!listed) return;
                        if (!pending.TryGetValue(mod, out Stack<int>? open)) pending[mod] = open = new Stack<int>();
                        open.Push(rows.Count);
                        rows.Add(new LayerCall(nameOf[mod], mod.TypeName, [], 0, repeat));
                    }));
                    handles.Add(m.RegisterForwardHook((Module mod, Tensor _, Tensor output) =>
                    {
                        if (!listed || !pending.TryGetValue(mod, out Stack<int>? open) || open.Count == 0) return;
                        int row = open.Pop();
                        long[] shape = output.Shape;
                        if (shape.Length > 0) shape[0] = -1;
                        activationBytes += output.NumElements * output.DType.ElementSize();
                        long count = mod.Parameters(recurse: false).Sum(p => p.NumElements);
                        rows[row] = rows[row] with { OutputShape = shape, ParameterCount = count };
                    }));
                }
                model.Eval();
                using Tensor input = Tensor.Rand(fullShape);
                inputBytes = input.NumElements * input.DType.ElementSize();
                Tensor output = model.Call(input);
                // Parameters are "used" when a called module owns them directly, or when the output's
                // autograd graph reaches them (a module may use another module's weights).
                foreach (Module m in called)
                {
                    foreach (Tensor p in m.Parameters(recurse: false)) usedParams.TryAdd(p.Handle, p);
                }
                var registered = model.Parameters().ToDictionary(p => p.Handle);
                foreach (nint h in GraphLeaves(output)) if (registered.TryGetValue(h, out Tensor? p)) usedParams.TryAdd(h, p);
            }
            finally
            {
                foreach (RemovableHandle h in handles) h.Remove();
                // Pre-order: a parent's recursive Train runs before its children restore their own flags.
                foreach ((Module m, bool training) in modes) m.Train(training);
            }
        }

        var allParams = model.Parameters().ToList();
        var calledOrHasCalledDescendant = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        foreach ((string _, Module m) in modules)
        {
            if (m.Modules().Any(called.Contains)) calledOrHasCalledDescendant.Add(m);
        }
        return new ModelSummary
        {
            ModelName = model.TypeName,
            InputShape = (long[])inputShape.Clone(),
            Calls = rows.ToArray(),
            UsedParameters = usedParams.Values.Sum(p => p.NumElements),
            UsedTrainableParameters = usedParams.Values.Where(p => p.RequiresGrad).Sum(p => p.NumElements),
            RegisteredParameters = allParams.Sum(p => p.NumElements),
            TrainableParameters = allParams.Where(p => p.RequiresGrad).Sum(p => p.NumElements),
            UnusedModules = modules.Where(m => !calledOrHasCalledDescendant.Contains(m.Module)).Select(m => m.Name).ToArray(),
            InputBytes = inputBytes,
            ActivationBytes = activationBytes,
            ParameterBytes = allParams.Sum(p => p.NumElements * p.DType.ElementSize()),
            BufferBytes = model.Buffers().Sum(b => b.NumElements * b.DType.ElementSize()),
        };
    }

    // Handles of the leaf tensors (AccumulateGrad variables) the graph behind `output` reaches.
    private static IEnumerable<nint> GraphLeaves(Tensor output)
    {
        GradFn? root = output.GradFn;
        if (root is null) yield break;
        var seen = new HashSet<ulong>();
        var stack = new Stack<GradFn>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            GradFn fn = stack.Pop();
            if (!seen.Add(fn.Id)) continue;
            using (Tensor? v = fn.Variable)
            {
                if (v is not null) yield return v.Handle;
            }
            foreach ((GradFn? next, int _) in fn.NextFunctions)
            {
                if (next is not null) stack.Push(next);
            }
        }
    }

    /// <summary>The torchsummary-style table followed by the totals.</summary>
    public override string ToString()
    {
        var ci = CultureInfo.InvariantCulture;
        const int w1 = 34, w2 = 26, w3 = 16;
        string line = new('-', w1 + w2 + w3 + 2);
        string dline = new('=', w1 + w2 + w3 + 2);
        var sb = new StringBuilder();
        sb.AppendLine(line);
        sb.AppendLine($"{"Layer (type)",w1} {"Output Shape",w2} {"Param #",w3}");
        sb.AppendLine(dline);
        bool anyRepeat = false;
        foreach (LayerCall c in Calls)
        {
            string layer = $"{c.Name} ({c.TypeName})";
            string shape = "[" + string.Join(", ", c.OutputShape) + "]";
            string count = c.ParameterCount.ToString("N0", ci);
            if (c.IsRepeatCall)
            {
                count = "(shared) " + count + "*";
                anyRepeat = true;
            }
            sb.AppendLine($"{layer,w1} {shape,w2} {count,w3}");
        }
        sb.AppendLine(dline);
        if (anyRepeat) sb.AppendLine("* repeated call of a shared layer: its parameters are counted once, at its first call.");
        sb.AppendLine($"Used params (forward pass, each once): {UsedParameters.ToString("N0", ci)}");
        sb.AppendLine($"  of which trainable: {UsedTrainableParameters.ToString("N0", ci)}");
        sb.AppendLine($"Registered params: {RegisteredParameters.ToString("N0", ci)}");
        sb.AppendLine($"  Trainable params: {TrainableParameters.ToString("N0", ci)}");
        sb.AppendLine($"  Non-trainable params: {FrozenParameters.ToString("N0", ci)}");
        sb.AppendLine($"  Registered but unused params: {UnusedParameters.ToString("N0", ci)}");
        sb.AppendLine("Unused modules: " + (UnusedModules.Count == 0 ? "none" : string.Join(", ", UnusedModules)));
        sb.AppendLine(line);
        sb.AppendLine($"Input size (MB): {Mb(InputBytes)}");
        sb.AppendLine($"Forward/backward pass size (MB): {Mb(2 * ActivationBytes)}");
        sb.AppendLine($"Params size (MB): {Mb(ParameterBytes)}");
        if (BufferBytes > 0) sb.AppendLine($"Buffers size (MB): {Mb(BufferBytes)}");
        sb.AppendLine($"Estimated Total Size (MB): {Mb(EstimatedTotalBytes)}");
        sb.Append(line);
        return sb.ToString();
    }

    private static string Mb(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("F2", CultureInfo.InvariantCulture);
}

using NativeGrad.NN;

namespace NativeGrad.Diagnostics;

/// <summary>What a node of a traced module graph stands for.</summary>
internal enum ScopedNodeKind
{
    Input,
    Parameter,
    Leaf,
    Operation,
    Output,
}

/// <summary>A node of a module graph: an operation, parameter, input or output, placed in a module scope.</summary>
internal sealed class ScopedNode
{
    public required string Name { get; init; }       // unique, "/"-separated scopes then a local name
    public required string Op { get; init; }
    public required ScopedNodeKind Kind { get; init; }
    public required string Scope { get; init; }      // e.g. "LeNet/Conv2d[conv1]"; "" for input/output
    public string Label { get; init; } = "";
    public long[]? Shape { get; set; }
    public List<ScopedNode> Inputs { get; } = new();
}

/// <summary>
/// Runs one forward pass of a module and turns its autograd graph into a graph of operations placed
/// in module scopes named like PyTorch's exporter: <c>LeNet/Conv2d[conv1]/Convolution_0</c>.
/// </summary>
/// <remarks>
/// Placement: a forward hook on every module records, per call, the grad_fn of the call's input and
/// output. Calls complete innermost first, so walking back from each call's output to its input and
/// claiming the nodes not yet claimed puts every node in the innermost module that ran it. The input
/// is given a gradient for the trace (a detached copy) so that it appears in the graph; parameters are
/// named by matching AccumulateGrad leaves with <see cref="Module.NamedParameters"/>. The forward pass
/// runs with the model in its current mode (like PyTorch's tracer, a training-mode batch norm updates
/// its running statistics once).
/// </remarks>
internal sealed class ModuleTrace
{
    private sealed record CallRecord(string Scope, ulong? InputId, GradFn? OutputFn, long[] OutputShape);

    private ModuleTrace(List<ScopedNode> nodes) => Nodes = nodes;

    /// <summary>Nodes in an order where inputs come first; the output node last.</summary>
    public IReadOnlyList<ScopedNode> Nodes { get; }

    public static ModuleTrace Run(Module model, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);

        Dictionary<Module, string> scopes = ScopeNames(model, out Dictionary<string, string> scopeByPath);
        var calls = new List<CallRecord>();
        var handles = new List<RemovableHandle>();
        using DisposeScope tensors = DisposeScope.Begin();
        using var grad = Autograd.EnableGrad();
        try
        {
            foreach ((Module m, string scope) in scopes)
            {
                handles.Add(m.RegisterForwardHook((Module _, Tensor i, Tensor o) =>
                    calls.Add(new CallRecord(scope, i.GradFn?.Id, o.GradFn, o.Shape))));
            }
            Tensor x = input.Detach();
            if (x.DType.IsFloatingPoint()) x.RequiresGrad = true;
            Tensor output = model.Call(x);
            GradFn? root = output.GradFn
                ?? throw new InvalidOperationException(
                    $"{model.TypeName}: the output has no autograd history (no parameter requires grad), so there is no graph to export.");
            using var walk = new AutogradWalk(root);
            return Build(walk, calls, x, output.Shape, model, scopes[model], scopeByPath);
        }
        finally
        {
            foreach (RemovableHandle h in handles) h.Dispose();
        }
    }

    /// <summary>Scope of each module ("LeNet", "LeNet/Sequential[features]/Conv2d[0]", ...), keyed by module and by dotted path.</summary>
    private static Dictionary<Module, string> ScopeNames(Module model, out Dictionary<string, string> byPath)
    {
        var byModule = new Dictionary<Module, string>(ReferenceEqualityComparer.Instance);
        byPath = new Dictionary<string, string>();
        foreach ((string path, Module m) in model.NamedModules())
        {
            string scope;
            if (path.Length == 0)
            {
                scope = Sanitize(m.TypeName);
            }
            else
            {
                int dot = path.LastIndexOf('.');
                string parent = dot < 0 ? "" : path[..dot];
                scope = byPath[parent] + "/" + Sanitize(m.TypeName) + "[" + Sanitize(path[(dot + 1)..]) + "]";
            }
            byPath[path] = scope;
            byModule.TryAdd(m, scope);
        }
        return byModule;
    }

    private static ModuleTrace Build(AutogradWalk walk, List<CallRecord> calls, Tensor input, long[] outputShape,
                                     Module model, string rootScope, Dictionary<string, string> scopeByPath)
    {
        // 1. Place each function node in the innermost module call that produced it.
        var scopeOf = new Dictionary<ulong, string>();
        var shapeOf = new Dictionary<ulong, long[]>();
        foreach (CallRecord call in calls)
        {
            if (call.OutputFn is null) continue;
            ulong outId = call.OutputFn.Id;
            shapeOf.TryAdd(outId, call.OutputShape);
            FunctionNode? start = walk.Find(outId);
            if (start is null) continue;   // a call whose result was not used for the output
            var stack = new Stack<FunctionNode>();
            var seen = new HashSet<ulong>();
            stack.Push(start);
            while (stack.Count > 0)
            {
                FunctionNode n = stack.Pop();
                if (!seen.Add(n.Id) || n.Id == call.InputId || n.IsAccumulateGrad) continue;
                scopeOf.TryAdd(n.Id, call.Scope);
                foreach (FunctionNode? next in n.Next)
                {
                    if (next is not null) stack.Push(next);
                }
            }
        }

        // 2. Name the leaves: the traced input, parameters (by storage identity), other leaves.
        var parameters = new List<(string Scope, string Local, string Dotted, Tensor Tensor)>();
        foreach ((string dotted, Tensor p) in model.NamedParameters())
        {
            int dot = dotted.LastIndexOf('.');
            string modulePath = dot < 0 ? "" : dotted[..dot];
            parameters.Add((scopeByPath.GetValueOrDefault(modulePath, rootScope), dotted[(dot + 1)..], dotted, p));
        }

        var nodes = new List<ScopedNode>();
        var byId = new Dictionary<ulong, ScopedNode>();
        var usedNames = new HashSet<string>();
        var opCounters = new Dictionary<string, int>();
        string Unique(string name)
        {
            string candidate = name;
            for (int k = 1; !usedNames.Add(candidate); k++) candidate = name + "_" + k;
            return candidate;
        }

        int leafCount = 0;
        foreach (FunctionNode fn in walk.Nodes)
        {
            if (fn.IsAccumulateGrad)
            {
                Tensor v = fn.Variable!;
                ScopedNode leaf;
                if (SameTensor(v, input))
                {
                    leaf = new ScopedNode { Name = Unique("input/input.1"), Op = "IO Node", Kind = ScopedNodeKind.Input, Scope = "input", Label = "input", Shape = v.Shape };
                }
                else if (parameters.FirstOrDefault(p => SameTensor(v, p.Tensor)) is { Tensor: not null } p)
                {
                    leaf = new ScopedNode { Name = Unique(p.Scope + "/" + Sanitize(p.Local)), Op = "Parameter", Kind = ScopedNodeKind.Parameter, Scope = p.Scope, Label = p.Dotted, Shape = v.Shape };
                }
                else
                {
                    leaf = new ScopedNode { Name = Unique(rootScope + "/Leaf_" + leafCount++), Op = "Tensor", Kind = ScopedNodeKind.Leaf, Scope = rootScope, Label = "leaf", Shape = v.Shape };
                }
                byId[fn.Id] = leaf;
                nodes.Add(leaf);
                continue;
            }
            string scope = scopeOf.GetValueOrDefault(fn.Id, rootScope);
            string op = fn.ForwardName;
            int k = opCounters.GetValueOrDefault(op);
            opCounters[op] = k + 1;
            var node = new ScopedNode
            {
                Name = Unique(scope + "/" + Sanitize(op) + "_" + k),
                Op = op,
                Kind = ScopedNodeKind.Operation,
                Scope = scope,
                Label = fn.Name,
                Shape = shapeOf.GetValueOrDefault(fn.Id),
            };
            foreach (FunctionNode? next in fn.Next)
            {
                if (next is not null && byId.TryGetValue(next.Id, out ScopedNode? src)) node.Inputs.Add(src);
            }
            byId[fn.Id] = node;
            nodes.Add(node);
        }

        var output = new ScopedNode { Name = "output/output.1", Op = "IO Node", Kind = ScopedNodeKind.Output, Scope = "output", Label = "output", Shape = outputShape };
        output.Inputs.Add(byId[walk.Root.Id]);
        if (byId[walk.Root.Id].Shape is null) byId[walk.Root.Id].Shape = outputShape;
        nodes.Add(output);
        return new ModuleTrace(nodes);
    }

    private static bool SameTensor(Tensor a, Tensor b) => GraphExport.SameTensor(a, b);

    /// <summary>Keeps scope separators meaningful: "/" inside a name would open a bogus group.</summary>
    private static string Sanitize(string s) => s.Replace('/', '_');
}

namespace NativeGrad.Diagnostics;

/// <summary>One backward-function node of the autograd graph, as seen by the exporters.</summary>
internal sealed class FunctionNode
{
    public FunctionNode(GradFn fn, ulong id, string name)
    {
        Fn = fn;
        Id = id;
        Name = name;
    }

    /// <summary>The node (kept so the native node, and so its id, stays alive during the export).</summary>
    public GradFn Fn { get; }

    public ulong Id { get; }

    /// <summary>Backward function name, e.g. "MulBackward".</summary>
    public string Name { get; }

    /// <summary>The nodes gradients flow to (the forward op's inputs), null where no gradient is needed.</summary>
    public List<FunctionNode?> Next { get; } = new();

    /// <summary>For AccumulateGrad: the leaf tensor (owned by the walk, disposed with it).</summary>
    public Tensor? Variable { get; set; }

    public bool IsAccumulateGrad => Variable is not null;

    /// <summary>The forward operation's name: "ConvolutionBackward0" → "Convolution".</summary>
    public string ForwardName
    {
        get
        {
            string n = Name;
            int end = n.Length;
            while (end > 0 && char.IsAsciiDigit(n[end - 1])) end--;
            const string suffix = "Backward";
            if (end > suffix.Length && n.AsSpan(0, end).EndsWith(suffix)) return n[..(end - suffix.Length)];
            return n;
        }
    }
}

/// <summary>
/// The autograd graph behind a tensor, read through <see cref="GradFn.NextFunctions"/>: every node
/// once (by <see cref="GradFn.Id"/>), in an order where a node's inputs come before the node.
/// </summary>
internal sealed class AutogradWalk : IDisposable
{
    private readonly Dictionary<ulong, FunctionNode> _byId = new();

    public AutogradWalk(GradFn root)
    {
        ArgumentNullException.ThrowIfNull(root);
        Root = Visit(root);
        // Iterative post-order DFS: deep networks would overflow a recursive walk.
        var order = new List<FunctionNode>();
        var state = new Dictionary<ulong, bool>();   // false: open, true: done
        var stack = new Stack<(FunctionNode Node, int Next)>();
        stack.Push((Root, 0));
        state[Root.Id] = false;
        while (stack.Count > 0)
        {
            (FunctionNode node, int next) = stack.Pop();
            if (next == 0) Expand(node);
            if (next < node.Next.Count)
            {
                stack.Push((node, next + 1));
                FunctionNode? child = node.Next[next];
                if (child is not null && !state.ContainsKey(child.Id))
                {
                    state[child.Id] = false;
                    stack.Push((child, 0));
                }
                continue;
            }
            state[node.Id] = true;
            order.Add(node);
        }
        Nodes = order;
    }

    public FunctionNode Root { get; }

    /// <summary>All nodes, inputs before the nodes that use them (the root last).</summary>
    public IReadOnlyList<FunctionNode> Nodes { get; }

    public FunctionNode? Find(ulong id) => _byId.GetValueOrDefault(id);

    private FunctionNode Visit(GradFn fn)
    {
        ulong id = fn.Id;
        if (_byId.TryGetValue(id, out FunctionNode? known)) return known;
        var node = new FunctionNode(fn, id, fn.Name);
        _byId[id] = node;
        return node;
    }

    private readonly HashSet<ulong> _expanded = new();

    private void Expand(FunctionNode node)
    {
        if (!_expanded.Add(node.Id)) return;
        foreach ((GradFn? fn, int _) in node.Fn.NextFunctions) node.Next.Add(fn is null ? null : Visit(fn));
        Tensor? v = node.Fn.Variable;
        if (v is not null) node.Variable = v.DetachFromDisposeScope();
    }

    public void Dispose()
    {
        foreach (FunctionNode n in _byId.Values) n.Variable?.Dispose();
    }
}

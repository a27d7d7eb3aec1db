using System.Globalization;
using System.Text;
using NativeGrad.NN;

namespace NativeGrad.Diagnostics;

/// <summary>
/// Graphviz DOT export of computation graphs: the autograd graph behind a result (like torchviz's
/// <c>make_dot</c>) and the module graph of a model. Render with <c>dot -Tpng graph.dot -o graph.png</c>.
/// </summary>
public static class GraphExport
{
    /// <summary>
    /// The autograd graph behind <paramref name="result"/>: backward functions as grey boxes (with the
    /// shapes of the tensors each saved for backward), the
    /// tensors gradients accumulate into (leaves) as blue boxes with their shape and, when
    /// <paramref name="parameterNames"/> names them (e.g. <c>model.NamedParameters()</c>), their name,
    /// and the result itself as a green box; edges point the way the forward pass went.
    /// </summary>
    /// <param name="result">The tensor whose history is drawn (e.g. a loss).</param>
    /// <param name="parameterNames">Names for leaf tensors, matched by identity of their memory.</param>
    public static string ToDot(Tensor result, IEnumerable<(string Name, Tensor Tensor)>? parameterNames = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        List<(string Name, Tensor Tensor)> names = parameterNames?.ToList() ?? [];
        var dot = new StringBuilder();
        dot.AppendLine("digraph autograd {");
        dot.AppendLine("    graph [fontname=\"monospace\"];");
        dot.AppendLine("    node [style=filled, shape=box, align=left, fontsize=10, height=0.2, fontname=\"monospace\"];");
        dot.AppendLine($"    result [label={Quote("result\n" + FormatShape(result.ShapeRef))}, fillcolor=darkolivegreen1];");

        GradFn? root = result.GradFn;
        if (root is not null)
        {
            using var walk = new AutogradWalk(root);
            foreach (FunctionNode fn in walk.Nodes)
            {
                string id = "f" + fn.Id.ToString(CultureInfo.InvariantCulture);
                IReadOnlyList<long[]> saved = fn.Fn.SavedShapes;
                string fnLabel = saved.Count == 0 ? fn.Name : fn.Name + "\nsaved: " + string.Join(", ", saved.Select(FormatShape));
                dot.AppendLine($"    {id} [label={Quote(fnLabel)}, fillcolor=lightgrey];");
                if (fn.Variable is { } v)
                {
                    string? name = names.FirstOrDefault(n => SameTensor(v, n.Tensor)).Name;
                    string label = (name is null ? "" : name + "\n") + FormatShape(v.ShapeRef);
                    dot.AppendLine($"    v{fn.Id} [label={Quote(label)}, fillcolor=lightblue];");
                    dot.AppendLine($"    v{fn.Id} -> {id};");
                }
                foreach (FunctionNode? next in fn.Next)
                {
                    if (next is not null) dot.AppendLine($"    f{next.Id} -> {id};");
                }
            }
            dot.AppendLine($"    f{walk.Root.Id} -> result;");
        }
        dot.AppendLine("}");
        return dot.ToString();
    }

    /// <summary>
    /// The module graph of one forward pass of <paramref name="model"/> on <paramref name="input"/>:
    /// operations grouped in nested boxes (clusters) per module, named like PyTorch's graph exporter
    /// (<c>LeNet/Conv2d[conv1]</c>), parameters inside their module, input and output outside.
    /// Operation boxes show the output shape where the module boundary reveals it.
    /// </summary>
    public static string ToDot(Module model, Tensor input)
    {
        ModuleTrace trace = ModuleTrace.Run(model, input);
        return ToDot(trace);
    }

    internal static string ToDot(ModuleTrace trace)
    {
        var ids = new Dictionary<ScopedNode, string>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < trace.Nodes.Count; i++) ids[trace.Nodes[i]] = "n" + i.ToString(CultureInfo.InvariantCulture);

        // Scope tree: each "/"-separated prefix of a node's scope is one nested cluster.
        var root = new ScopeTree("");
        foreach (ScopedNode n in trace.Nodes)
        {
            ScopeTree t = root;
            if (n.Kind is not (ScopedNodeKind.Input or ScopedNodeKind.Output))
            {
                foreach (string part in n.Scope.Split('/', StringSplitOptions.RemoveEmptyEntries)) t = t.Child(part);
            }
            t.Nodes.Add(n);
        }

        var dot = new StringBuilder();
        dot.AppendLine("digraph model {");
        dot.AppendLine("    graph [fontname=\"monospace\", compound=true];");
        dot.AppendLine("    node [style=filled, shape=box, fontsize=10, height=0.2, fontname=\"monospace\"];");
        int cluster = 0;
        void Emit(ScopeTree tree, int depth)
        {
            string indent = new(' ', 4 * depth);
            foreach (ScopedNode n in tree.Nodes)
            {
                (string label, string color) = n.Kind switch
                {
                    ScopedNodeKind.Input => ("input\n" + FormatShape(n.Shape), "darkolivegreen1"),
                    ScopedNodeKind.Output => ("output\n" + FormatShape(n.Shape), "darkolivegreen1"),
                    ScopedNodeKind.Parameter => (LocalName(n) + "\n" + FormatShape(n.Shape), "lightblue"),
                    ScopedNodeKind.Leaf => ("leaf\n" + FormatShape(n.Shape), "lightblue"),
                    _ => (n.Op + (n.Shape is null ? "" : "\n" + FormatShape(n.Shape)), "lightgrey"),
                };
                dot.AppendLine($"{indent}{ids[n]} [label={Quote(label)}, fillcolor={color}];");
            }
            foreach (ScopeTree child in tree.Children)
            {
                dot.AppendLine($"{indent}subgraph cluster_{cluster++} {{");
                dot.AppendLine($"{indent}    label={Quote(child.Name)}; style=rounded; color=gray40;");
                Emit(child, depth + 1);
                dot.AppendLine($"{indent}}}");
            }
        }
        Emit(root, 1);
        foreach (ScopedNode n in trace.Nodes)
        {
            foreach (ScopedNode src in n.Inputs) dot.AppendLine($"    {ids[src]} -> {ids[n]};");
        }
        dot.AppendLine("}");
        return dot.ToString();
    }

    private sealed class ScopeTree(string name)
    {
        private readonly Dictionary<string, ScopeTree> _children = new();
        public string Name { get; } = name;
        public List<ScopedNode> Nodes { get; } = new();
        public List<ScopeTree> Children { get; } = new();

        public ScopeTree Child(string part)
        {
            if (!_children.TryGetValue(part, out ScopeTree? c))
            {
                c = new ScopeTree(part);
                _children[part] = c;
                Children.Add(c);
            }
            return c;
        }
    }

    private static string LocalName(ScopedNode n)
    {
        int slash = n.Name.LastIndexOf('/');
        return slash < 0 ? n.Name : n.Name[(slash + 1)..];
    }

    internal static bool SameTensor(Tensor a, Tensor b) =>
        a.SharesStorageWith(b) && a.StorageOffset == b.StorageOffset && a.ShapeRef.AsSpan().SequenceEqual(b.ShapeRef);

    /// <summary>torchviz's shape format: "(64, 1, 28, 28)".</summary>
    internal static string FormatShape(long[]? shape) =>
        shape is null ? "" : "(" + string.Join(", ", shape.Select(s => s.ToString(CultureInfo.InvariantCulture))) + ")";

    /// <summary>A DOT string literal.</summary>
    private static string Quote(string s) =>
        "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n") + "\"";
}

using System.Diagnostics;
using System.Text.RegularExpressions;
using NativeGrad.Diagnostics;
using NativeGrad.NN;

namespace NativeGrad.Tests.Diagnostics;

public class GraphExportTests
{
    private static readonly Regex NodeDecl = new(@"^\s*(\w+) \[label=""((?:[^""\\]|\\.)*)""", RegexOptions.Multiline);
    private static readonly Regex Edge = new(@"^\s*(\w+) -> (\w+);", RegexOptions.Multiline);

    private static Dictionary<string, string> Nodes(string dot) =>
        NodeDecl.Matches(dot).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Replace("\\n", "\n"));

    private static List<(string From, string To)> Edges(string dot) =>
        Edge.Matches(dot).Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();

    [Fact]
    public void AutogradGraphOfAResult()
    {
        using Tensor x = Tensor.Rand(2, 3).RequiresGrad_();
        using Tensor w = Tensor.Rand(2, 3).RequiresGrad_();
        using Tensor c = Tensor.Rand(2, 3);                 // no grad: not in the graph
        using Tensor prod = x * w;
        using Tensor sum = prod + c;
        using Tensor y = sum.Sum();
        string dot = GraphExport.ToDot(y, [("x", x), ("weight", w)]);

        Assert.StartsWith("digraph autograd {", dot);
        Assert.EndsWith("}" + Environment.NewLine, dot);
        Dictionary<string, string> nodes = Nodes(dot);
        List<(string From, string To)> edges = Edges(dot);
        foreach ((string from, string to) in edges)
        {
            Assert.True(nodes.ContainsKey(from), from);
            Assert.True(nodes.ContainsKey(to), to);
        }
        Assert.Equal("result\n()", nodes["result"]);
        string sumFn = Assert.Single(nodes, n => n.Value.StartsWith("SumBackward")).Key;
        string addFn = Assert.Single(nodes, n => n.Value.StartsWith("AddBackward")).Key;
        string mulFn = Assert.Single(nodes, n => n.Value.StartsWith("MulBackward")).Key;
        string[] acc = nodes.Where(n => n.Value == "AccumulateGrad").Select(n => n.Key).ToArray();
        Assert.Equal(2, acc.Length);
        string xLeaf = Assert.Single(nodes, n => n.Value == "x\n(2, 3)").Key;
        string wLeaf = Assert.Single(nodes, n => n.Value == "weight\n(2, 3)").Key;

        Assert.Contains((sumFn, "result"), edges);
        Assert.Contains((addFn, sumFn), edges);
        Assert.Contains((mulFn, addFn), edges);
        Assert.Equal(2, edges.Count(e => e.To == mulFn && acc.Contains(e.From)));
        Assert.Contains(edges, e => e.From == xLeaf && acc.Contains(e.To));
        Assert.Contains(edges, e => e.From == wLeaf && acc.Contains(e.To));
        Assert.Equal(7, edges.Count);
        Assert.Equal(8, nodes.Count);
    }

    [Fact]
    public void SharedInputsAppearOnce()
    {
        using Tensor x = Tensor.Rand(3).RequiresGrad_();
        using Tensor sq = x * x;
        using Tensor y = (sq + x).Sum();
        string dot = GraphExport.ToDot(y);
        Dictionary<string, string> nodes = Nodes(dot);
        Assert.Single(nodes, n => n.Value == "AccumulateGrad");
        Assert.Single(nodes, n => n.Value == "(3)");      // unnamed leaf: its shape only
    }

    [Fact]
    public void LeafResultHasNoFunctions()
    {
        using Tensor x = Tensor.Rand(4, 1);
        string dot = GraphExport.ToDot(x);
        Assert.Equal(new[] { "result" }, Nodes(dot).Keys);
        Assert.Empty(Edges(dot));
    }

    private sealed class Mlp : Module
    {
        private readonly Linear fc1 = new(6, 5);
        private readonly Linear fc2 = new(5, 3);

        public Mlp() => RegisterComponents();

        public override Tensor Forward(Tensor x) => fc2.Call(fc1.Call(x).Relu());
    }

    [Fact]
    public void ModuleGraphHasAClusterPerModule()
    {
        using var model = new Mlp();
        using Tensor input = Tensor.Rand(2, 6);
        string dot = GraphExport.ToDot(model, input);
        Assert.StartsWith("digraph model {", dot);
        Assert.Contains("label=\"Mlp\"", dot);
        Assert.Contains("label=\"Linear[fc1]\"", dot);
        Assert.Contains("label=\"Linear[fc2]\"", dot);
        Dictionary<string, string> nodes = Nodes(dot);
        Assert.Contains(nodes, n => n.Value == "weight\n(5, 6)");
        Assert.Contains(nodes, n => n.Value == "input\n(2, 6)");
        Assert.Contains(nodes, n => n.Value == "output\n(2, 3)");
        List<(string From, string To)> edges = Edges(dot);
        Assert.All(edges, e => Assert.True(nodes.ContainsKey(e.From) && nodes.ContainsKey(e.To)));
        string outId = nodes.Single(n => n.Value.StartsWith("output")).Key;
        Assert.Single(edges, e => e.To == outId);
        RenderIfGraphvizIsInstalled(dot);
    }

    /// <summary>When Graphviz is present, the DOT text must be accepted by it.</summary>
    private static void RenderIfGraphvizIsInstalled(string dot)
    {
        string? exe = Environment.GetEnvironmentVariable("PATH")?.Split(':')
            .Select(d => Path.Combine(d, "dot")).FirstOrDefault(File.Exists);
        if (exe is null) return;
        var psi = new ProcessStartInfo(exe, "-Tsvg") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using Process p = Process.Start(psi)!;
        p.StandardInput.Write(dot);
        p.StandardInput.Close();
        string svg = p.StandardOutput.ReadToEnd();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
        Assert.Contains("<svg", svg);
    }
}

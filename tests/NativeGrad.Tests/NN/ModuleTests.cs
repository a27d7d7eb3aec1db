using NativeGrad.NN;

namespace NativeGrad.Tests.NN;

[Collection("Serial")]
public sealed class ModuleTests
{
    [Fact]
    public void RegisterComponentsFollowsDeclarationOrderAndKinds()
    {
        using var net = new FieldsNet();
        Assert.Equal(["first", "second"], net.NamedChildren().Select(c => c.Name));
        // As PyTorch: a module's own parameters come before its children's.
        Assert.Equal(["Gain", "first.scale", "first.shift", "second.scale", "second.shift"],
                     net.NamedParameters().Select(p => p.Name));
        Assert.Equal(["counter", "scratch"], net.NamedBuffers().Select(b => b.Name));
        Assert.Null(net.GetChild("ignored"));
        Assert.Null(net.GetChild("missing"));
        Assert.DoesNotContain(net.Buffers(), b => ReferenceEquals(b, net.NotRegistered));
        // Non-persistent buffers stay out of the state dict.
        Assert.Equal(["Gain", "counter", "first.scale", "first.shift", "second.scale", "second.shift"],
                     net.StateDict().Keys.Order(StringComparer.Ordinal));
        net.Ignored.Dispose();
        net.NotRegistered.Dispose();
    }

    [Fact]
    public void SharedParametersAreYieldedOnceByIdentity()
    {
        using var net = new SharedNet();
        Assert.Equal(["a", "unused"], net.NamedChildren().Select(c => c.Name));
        Assert.Equal(["", "a", "unused"], net.NamedModules().Select(m => m.Name));
        Assert.Equal(["a.scale", "a.shift", "unused.scale", "unused.shift"], net.NamedParameters().Select(p => p.Name));
        Assert.Equal(4, net.Parameters().Count());
        Assert.Same(net.a.scale.Tensor, net.Parameters().First());
        // The state dict lists every name, as PyTorch's does.
        Assert.Equal(["a.scale", "a.shift", "b.scale", "b.shift", "unused.scale", "unused.shift"], net.StateDict().Keys);

        // Both calls contribute to the one shared gradient: y = 2·(2x·s+t)... with s=[2,3].
        using var x = Tensor.FromArray(new[] { 1f, 1f });
        using Tensor y = net.Call(x).Sum();
        y.Backward();
        using Tensor? g = net.a.scale.Grad;
        // y_i = s_i(s_i x_i + t) + t → dy/ds_i = 2 s_i x_i + t = [4, 6]
        Assertions.Close([4f, 6f], g!.ToArray<float>());
    }

    [Fact]
    public void TrainEvalApplyAndZeroGrad()
    {
        using var net = new SharedNet();
        Assert.True(net.IsTraining);
        net.Eval();
        Assert.All(net.Modules(), m => Assert.False(m.IsTraining));
        net.Train();
        Assert.All(net.Modules(), m => Assert.True(m.IsTraining));

        var order = new List<string>();
        net.Apply(m => order.Add(m.TypeName));
        Assert.Equal(["ScaleShift", "ScaleShift", "SharedNet"], order);

        using var x = Tensor.FromArray(new[] { 1f, 2f });
        net.Call(x).Sum().Backward();
        net.ZeroGrad(setToNull: false);
        using (Tensor? g = net.a.scale.Grad) Assertions.Close([0f, 0f], g!.ToArray<float>());
        net.ZeroGrad();
        Assert.Null(net.a.scale.Grad);
    }

    [Fact]
    public void RegistrationErrorsAndLookups()
    {
        using var net = new SharedNet();
        Assert.Throws<ArgumentException>(() => net.RegisterModule("x.y", new ReLU()));
        Assert.Throws<ArgumentException>(() => net.RegisterParameter("a", new Parameter(Tensor.Zeros(1))));
        Assert.Same(net.a, net.GetSubmodule("a"));
        var e = Assert.Throws<ArgumentException>(() => net.GetSubmodule("a.nothing"));
        Assert.Contains("unused", e.Message);
    }

    [Fact]
    public void ParameterIsALeafThatRequiresGradAndLeavesDisposeScopes()
    {
        Parameter p;
        using (DisposeScope.Begin())
        {
            using var x = Tensor.Ones(3).RequiresGrad_();
            p = new Parameter(x * 2);               // non-leaf: detached to a new leaf
        }
        Assert.False(p.IsDisposed);
        Assert.True(p.Tensor.IsLeaf);
        Assert.True(p.RequiresGrad);
        Assertions.Close([2f, 2f, 2f], p.Tensor.ToArray<float>());
        Tensor asTensor = p;
        Assert.Same(p.Tensor, asTensor);
        p.Dispose();
        Assert.True(p.IsDisposed);
        using var frozen = new Parameter(Tensor.Zeros(2), requiresGrad: false);
        Assert.False(frozen.RequiresGrad);
    }

    [Fact]
    public void DisposeReleasesParametersAndBuffers()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = Tensor.LiveCount;
        var net = new FieldsNet();
        Assert.True(Tensor.LiveCount > before);
        net.Ignored.Dispose();
        net.NotRegistered.Dispose();
        net.Dispose();
        Assert.True(net.IsDisposed);
        Assert.Equal(before, Tensor.LiveCount);
        Assert.Throws<ObjectDisposedException>(() => net.Call(Tensor.Ones(2)));
    }

    [Fact]
    public void InitBoundsAndSeededGenerator()
    {
        Assert.Equal(1 / Math.Sqrt(75), Init.KaimingUniformBound([6, 3, 5, 5], Math.Sqrt(5)), 12);
        Assert.Equal(1 / Math.Sqrt(20), Init.KaimingUniformBound([7, 20], Math.Sqrt(5)), 12);
        Assert.Equal((60L, 21L), Init.CalculateFanInAndFanOut([7, 20, 3]));
        float[] a, b;
        using (var g = new Generator(7))
        using (Init.UseGenerator(g))
        using (Tensor t = Init.UniformTensor([1000], -0.5, 0.5)) a = t.ToArray<float>();
        using (var g = new Generator(7))
        using (Init.UseGenerator(g))
        using (Tensor t = Init.UniformTensor([1000], -0.5, 0.5)) b = t.ToArray<float>();
        Assert.Equal(a, b);
        Assert.All(a, v => Assert.InRange(v, -0.5f, 0.5f));
        Assert.True(a.Min() < -0.45f && a.Max() > 0.45f);
        Assert.Null(Init.CurrentGenerator);
    }

    [Fact]
    public void ToStringPrintsTheTree()
    {
        using var net = new Sequential(new Flatten(), new LeakyReLU(0.2), new Sequential(new Tanh()));
        Assert.Equal("Sequential(\n  (0): Flatten(start_dim=1, end_dim=-1)\n  (1): LeakyReLU(negative_slope=0.2)\n  (2): Sequential(\n    (0): Tanh()\n  )\n)",
                     net.ToString());
    }
}

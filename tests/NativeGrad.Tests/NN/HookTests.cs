using NativeGrad.NN;

namespace NativeGrad.Tests.NN;

public sealed class ModuleHookTests
{
    private sealed class Recorder
    {
        public readonly List<string> Events = new();

        // An instance method as a hook (the seed notes warn this fails in Python; in C# it works).
        public Tensor? OnForward(Module module, Tensor input, Tensor output)
        {
            Events.Add($"forward:{module.TypeName}");
            return null;
        }
    }

    [Fact]
    public void HooksRunInOrderAndCanReplaceInputAndOutput()
    {
        using var layer = new ScaleShift([2f, 3f]);
        var rec = new Recorder();
        using var h1 = layer.RegisterForwardPreHook((m, x) => { rec.Events.Add("pre1"); return x + 1; });
        using var h2 = layer.RegisterForwardPreHook((Module m, Tensor x) => rec.Events.Add("pre2"));
        using var h3 = layer.RegisterForwardHook(rec.OnForward);
        using var h4 = layer.RegisterForwardHook((m, x, y) => { rec.Events.Add("post2"); return y * 10; });
        var inputs = new List<float[]>();
        using var h5 = layer.RegisterForwardHook((Module m, Tensor x, Tensor y) => inputs.Add(x.ToArray<float>()));

        using var x = Tensor.FromArray(new[] { 1f, 1f });
        using Tensor y = layer.Call(x);
        Assert.Equal(["pre1", "pre2", "forward:ScaleShift", "post2"], rec.Events);
        Assertions.Close([40f, 60f], y.ToArray<float>());          // ((1+1)·s)·10
        Assertions.Close([2f, 2f], inputs.Single());               // forward hooks see the replaced input

        // Forward alone runs no hooks.
        using Tensor direct = layer.Forward(x);
        Assertions.Close([2f, 3f], direct.ToArray<float>());

        h1.Remove();
        h4.Remove();
        Assert.False(h1.IsActive);
        rec.Events.Clear();
        using Tensor y2 = layer.Call(x);
        Assert.Equal(["pre2", "forward:ScaleShift"], rec.Events);
        Assertions.Close([2f, 3f], y2.ToArray<float>());
    }

    [Fact]
    public void ExceptionsInForwardHooksReachTheCaller()
    {
        using var layer = new ScaleShift([1f]);
        var boom = new InvalidTimeZoneException("boom");
        using (layer.RegisterForwardPreHook((m, x) => throw boom))
        {
            Assert.Same(boom, Assert.Throws<InvalidTimeZoneException>(() => layer.Call(Tensor.Ones(1))));
        }
        using (layer.RegisterForwardHook((m, x, y) => throw boom))
        {
            Assert.Same(boom, Assert.Throws<InvalidTimeZoneException>(() => layer.Call(Tensor.Ones(1))));
        }
    }

    [Fact]
    public void FullBackwardHookSeesGradientsAndCanReplaceGradInput()
    {
        using var layer = new ScaleShift([2f, 3f]);
        Tensor? seenIn = null, seenOut = null;
        using var h = layer.RegisterFullBackwardHook((m, gi, go) =>
        {
            Assert.Same(layer, m);
            seenIn = gi!.Detach();
            seenOut = go.Detach();
            return gi * 100;
        });
        using var x = Tensor.FromArray(new[] { 1f, 2f }, requiresGrad: true);
        using Tensor y = layer.Call(x);
        using Tensor loss = (y * Tensor.FromArray(new[] { 5f, 7f })).Sum();
        loss.Backward();
        Assertions.Close([5f, 7f], seenOut!.ToArray<float>());      // dL/dy
        Assertions.Close([10f, 21f], seenIn!.ToArray<float>());     // dL/dx = dL/dy · s
        using (Tensor? gx = x.Grad) Assertions.Close([1000f, 2100f], gx!.ToArray<float>());
        // Parameters are not inputs: their gradients are unchanged by the replacement.
        using (Tensor? gs = layer.scale.Grad) Assertions.Close([5f, 14f], gs!.ToArray<float>());

        h.Remove();
        x.Grad = null;
        using Tensor loss2 = layer.Call(x).Sum();
        loss2.Backward();
        using (Tensor? gx = x.Grad) Assertions.Close([2f, 3f], gx!.ToArray<float>());
    }

    [Fact]
    public void FullBackwardHookWithInputNotRequiringGradGetsNullGradInput()
    {
        using var net = new Sequential(new ScaleShift([2f, 3f]), new ScaleShift([1f, 1f]));
        var calls = new List<string>();
        using var h0 = net[0].RegisterFullBackwardHook((Module m, Tensor? gi, Tensor go) => calls.Add($"0:{gi is null}:{string.Join(",", go.ToArray<float>())}"));
        using var h1 = net[1].RegisterFullBackwardHook((Module m, Tensor? gi, Tensor go) => calls.Add($"1:{gi is null}:{string.Join(",", gi!.ToArray<float>())}"));
        using var x = Tensor.FromArray(new[] { 1f, 2f });
        net.Call(x).Sum().Backward();
        // Backward order: the last layer first.
        Assert.Equal(["1:False:1,1", "0:True:1,1"], calls);
    }

    [Fact]
    public void ExceptionsInBackwardHooksReachTheCallerOfBackward()
    {
        using var layer = new ScaleShift([2f]);
        var boom = new ArithmeticException("backward boom");
        using var h = layer.RegisterFullBackwardHook((m, gi, go) => throw boom);
        using var x = Tensor.FromArray(new[] { 1f }, requiresGrad: true);
        using Tensor loss = layer.Call(x).Sum();
        Assert.Same(boom, Assert.Throws<ArithmeticException>(() => loss.Backward()));
    }

    [Fact]
    public void SharedLayerFiresItsBackwardHookOncePerCall()
    {
        using var net = new SharedNet();
        var outs = new List<float[]>();
        using var h = net.a.RegisterFullBackwardHook((Module m, Tensor? gi, Tensor go) => outs.Add(go.ToArray<float>()));
        using var x = Tensor.FromArray(new[] { 1f, 1f }, requiresGrad: true);
        net.Call(x).Sum().Backward();
        Assert.Equal(2, outs.Count);
        Assertions.Close([1f, 1f], outs[0]);        // second call: dL/dy
        Assertions.Close([2f, 3f], outs[1]);        // first call: dL/dy · s
    }

    [Fact]
    public void LossModulesRunHooksWithThePredictionAsInput()
    {
        using var mse = new MSELoss();
        var seen = new List<string>();
        using var h1 = mse.RegisterForwardHook((Module m, Tensor input, Tensor output) => seen.Add($"{input.NumElements}:{output.Item<float>()}"));
        using var h2 = mse.RegisterFullBackwardHook((Module m, Tensor? gi, Tensor go) => seen.Add($"bw:{string.Join(",", gi!.ToArray<float>())}"));
        using var pred = Tensor.FromArray(new[] { 1f, 3f }, requiresGrad: true);
        using var target = Tensor.FromArray(new[] { 0f, 0f });
        using Tensor loss = mse.Call(pred, target);
        loss.Backward();
        Assert.Equal(["2:5", "bw:1,3"], seen);
    }
}

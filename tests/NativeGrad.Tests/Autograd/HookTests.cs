namespace NativeGrad.Tests.Tape;

public class HookTests
{
    private static Tensor SeedInput() => Tensor.FromArray(new float[,] { { 1, -1 }, { 1, 1 } }, requiresGrad: true);

    [Fact]
    public void A_hook_that_returns_nothing_sees_the_gradient_and_leaves_it_unchanged()
    {
        var seen = new List<Tensor>();
        using var x = SeedInput();
        using RemovableHandle h = x.RegisterHook(grad => { seen.Add(grad * 2); return null; });
        x.Pow(2).Sum().Backward();
        Assert.Single(seen);
        Assert.Equal(new float[] { 4, -4, 4, 4 }, seen[0].ToArray<float>());
        Assert.Equal(new float[] { 2, -2, 2, 2 }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void A_hook_that_returns_a_tensor_replaces_the_gradient()
    {
        using var x = SeedInput();
        using var h = x.RegisterHook(grad => grad * 2);
        x.Pow(2).Sum().Backward();
        Assert.Equal(new float[] { 4, -4, 4, 4 }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void Removed_hooks_no_longer_run()
    {
        int calls = 0;
        using var x = SeedInput();
        var h = x.RegisterHook(_ => { calls++; return null; });
        x.Pow(2).Sum().Backward();
        h.Remove();
        Assert.False(h.IsActive);
        x.Pow(2).Sum().Backward();
        Assert.Equal(1, calls);
        h.Remove();
    }

    [Fact]
    public void Hooks_run_in_registration_order_and_see_earlier_replacements()
    {
        var order = new List<string>();
        using var x = Tensor.FromArray(new float[] { 1 }, requiresGrad: true);
        using var h1 = x.RegisterHook(g => { order.Add("first " + g.Item<float>()); return g * 10; });
        using var h2 = x.RegisterHook(g => { order.Add("second " + g.Item<float>()); return null; });
        (x * 3).Sum().Backward();
        Assert.Equal(new[] { "first 3", "second 30" }, order);
        Assert.Equal(30f, x.Grad!.Item<float>());
    }

    [Fact]
    public void Hooks_on_intermediate_tensors_change_what_flows_back()
    {
        using var x = Tensor.FromArray(new float[] { 2 }, requiresGrad: true);
        using var h = x * x;
        using var handle = h.RegisterHook(g => g * 0);
        (h * 5).Sum().Backward();
        Assert.Equal(0f, x.Grad!.Item<float>());
    }

    [Fact]
    public void An_exception_in_a_hook_reaches_the_caller_and_the_next_backward_works()
    {
        using var x = SeedInput();
        var h = x.RegisterHook(_ => throw new InvalidTimeZoneException("from the hook"));
        using var y = x.Pow(2).Sum();
        var e = Assert.Throws<InvalidTimeZoneException>(() => y.Backward());
        Assert.Equal("from the hook", e.Message);
        Assert.Contains(nameof(An_exception_in_a_hook_reaches_the_caller_and_the_next_backward_works), e.StackTrace);
        h.Remove();
        x.Pow(2).Sum().Backward();
        Assert.Equal(new float[] { 2, -2, 2, 2 }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void A_hook_must_return_a_gradient_of_the_same_shape()
    {
        using var x = SeedInput();
        using var h = x.RegisterHook(_ => Tensor.Ones(3));
        var e = Assert.Throws<ArgumentException>(() => x.Pow(2).Sum().Backward());
        Assert.Contains("[3]", e.Message);
    }

    [Fact]
    public void Hooks_need_a_tensor_that_requires_grad()
    {
        using var x = Tensor.Ones(2);
        Assert.Throws<InvalidOperationException>(() => x.RegisterHook(g => null));
    }
}

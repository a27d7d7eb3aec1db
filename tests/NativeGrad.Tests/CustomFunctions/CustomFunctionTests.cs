using NativeGrad.Diagnostics;
using NativeGrad.NN;

namespace NativeGrad.Tests.CustomFunctions;

public class CustomFunctionTests
{
    private static Tensor Leaf(Generator g, DType dtype, params long[] shape) =>
        Tensor.Randn(shape, g, dtype).RequiresGrad_();

    private static Tensor Copy(Tensor t) => t.Detach().Clone().RequiresGrad_(t.RequiresGrad);

    [Theory]
    [InlineData(5, 3, 4, true)]
    [InlineData(1, 7, 1, true)]
    [InlineData(13, 2, 11, false)]
    public void Linear_matches_the_builtin_forward_and_gradients(int n, int inF, int outF, bool withBias)
    {
        using var scope = DisposeScope.Begin();
        using var g = new Generator(7);
        Tensor x = Leaf(g, DType.Float32, n, inF), w = Leaf(g, DType.Float32, outF, inF);
        Tensor? b = withBias ? Leaf(g, DType.Float32, outF) : null;
        Tensor gradOut = Tensor.Randn([n, outF], g, DType.Float32);
        Tensor x2 = Copy(x), w2 = Copy(w);
        Tensor? b2 = b is null ? null : Copy(b);

        Tensor y = Function.Apply<LinearFunction>(x, w, b);
        Tensor expected = Functional.Linear(x2, w2, b2);
        Tensor manual = b is null ? x.MatMul(w.T) : x.MatMul(w.T) + b;

        Assertions.Close(expected.ToArray<float>(), y.ToArray<float>(), 1e-5);
        Assertions.Close(manual.ToArray<float>(), y.ToArray<float>(), 1e-6);
        y.Backward(gradOut);
        expected.Backward(gradOut);
        Assertions.Close(x2.Grad!.ToArray<float>(), x.Grad!.ToArray<float>(), 1e-5);
        Assertions.Close(w2.Grad!.ToArray<float>(), w.Grad!.ToArray<float>(), 1e-5);
        if (b is not null) Assertions.Close(b2!.Grad!.ToArray<float>(), b.Grad!.ToArray<float>(), 1e-5);
    }

    [Fact]
    public void Linear_passes_first_and_second_order_gradient_checks()
    {
        using var scope = DisposeScope.Begin();
        using var g = new Generator(3);
        Tensor[] inputs = [Leaf(g, DType.Float64, 3, 2), Leaf(g, DType.Float64, 4, 2), Leaf(g, DType.Float64, 4)];
        Tensor F(Tensor[] xs) => Function.Apply<LinearFunction>(xs[0], xs[1], xs[2]);
        Assert.True(GradCheck.Evaluate(F, inputs).Passed, GradCheck.Evaluate(F, inputs).ToString());
        Assert.True(GradCheck.CheckSecondOrder(F, inputs), GradCheck.EvaluateSecondOrder(F, inputs).ToString());

        Tensor[] noBias = [inputs[0], inputs[1]];
        Tensor G(Tensor[] xs) => Function.Apply<LinearFunction>(xs[0], xs[1], null);
        Assert.True(GradCheck.Check(G, noBias));
        Assert.True(GradCheck.CheckSecondOrder(G, noBias));

        // Only some inputs require grad: NeedsInputGrad keeps the others' gradients null.
        Tensor[] partial = [inputs[0], inputs[1].Detach(), inputs[2]];
        Assert.True(GradCheck.Check(F, partial));
    }

    [Fact]
    public void A_module_wrapping_the_function_trains_like_the_builtin_linear()
    {
        using var scope = DisposeScope.Begin();
        using var custom = new CustomLinear(3, 2);
        using var builtin = new Linear(3, 2);
        using (Autograd.NoGrad())
        {
            builtin.Weight.Tensor.CopyFrom(custom.Weight.Tensor);
            builtin.Bias!.Tensor.CopyFrom(custom.Bias.Tensor);
        }
        using var g = new Generator(11);
        Tensor x = Tensor.Randn([6, 3], g, DType.Float32);
        Tensor y = custom.Call(x);
        Assert.Equal("LinearFunction", y.GradFn!.Name);
        Tensor loss = (y * y).Mean();
        Tensor reference = (builtin.Call(x) * builtin.Call(x)).Mean();
        Assert.Equal(reference.Item<float>(), loss.Item<float>(), 1e-5f);
        loss.Backward();
        reference.Backward();
        Assertions.Close(builtin.Weight.Grad!.ToArray<float>(), custom.Weight.Grad!.ToArray<float>(), 1e-5);
        Assertions.Close(builtin.Bias.Grad!.ToArray<float>(), custom.Bias.Grad!.ToArray<float>(), 1e-5);
        Assert.Equal(2, custom.Parameters().Count());
    }

    [Fact]
    public void The_node_is_named_after_the_class_and_links_to_its_inputs()
    {
        using var scope = DisposeScope.Begin();
        using var g = new Generator(1);
        Tensor x = Leaf(g, DType.Float32, 2, 3), w = Leaf(g, DType.Float32, 4, 3);
        Tensor h = x * 2;
        Tensor y = Function.Apply<LinearFunction>(h, w, null);
        Assert.False(y.IsLeaf);
        Assert.True(y.RequiresGrad);
        GradFn fn = y.GradFn!;
        Assert.Equal("LinearFunction", fn.Name);
        Assert.Equal(3, fn.NextFunctions.Count);
        Assert.Equal("MulBackward", fn.NextFunctions[0].Function!.Name);
        Assert.Equal("AccumulateGrad", fn.NextFunctions[1].Function!.Name);
        Assert.Null(fn.NextFunctions[2].Function);  // bias: null argument
        string dot = GraphExport.ToDot(y);
        Assert.Contains("LinearFunction", dot);
    }

    [Fact]
    public void Several_outputs_non_tensor_arguments_and_non_differentiable_outputs()
    {
        using var scope = DisposeScope.Begin();
        Tensor x = Tensor.FromArray(new double[] { 1, 5, 2, 7, 3, 0 }, [2, 3], requiresGrad: true);
        Tensor x2 = Copy(x);
        Tensor[] outs = Function.ApplyMany<MaxWithIndices>(x, 1);
        Assert.Equal(3, outs.Length);
        Assert.Equal(new double[] { 5, 7 }, outs[0].ToArray<double>());
        Assert.Equal(new long[] { 1, 0 }, outs[1].ToArray<long>());
        Assert.Equal(DType.Int64, outs[1].DType);
        Assert.True(outs[0].RequiresGrad);
        Assert.False(outs[1].RequiresGrad);
        Assert.False(outs[2].RequiresGrad);  // marked non-differentiable
        Assert.Equal("MaxWithIndices", outs[0].GradFn!.Name);

        Tensor gradValues = Tensor.FromArray(new double[] { 10, 20 });
        outs[0].Backward(gradValues);
        Assert.Equal(new double[] { 0, 10, 0, 20, 0, 0 }, x.Grad!.ToArray<double>());
        Assert.Equal(new double[] { 0, 0 }, MaxWithIndices.LastIndexGradient);  // materialised zeros

        var (values, _) = x2.Max(1);
        values.Backward(gradValues);
        Assert.Equal(x2.Grad!.ToArray<double>(), x.Grad!.ToArray<double>());

        Assert.Throws<InvalidOperationException>(() => Function.Apply<MaxWithIndices>(x, 1));
    }

    [Fact]
    public void Straight_through_estimator_rounds_forward_and_passes_the_gradient_back()
    {
        using var scope = DisposeScope.Begin();
        Tensor x = Tensor.FromArray(new float[] { 0.2f, 1.7f, -1.4f, 2.5f }, requiresGrad: true);
        Tensor y = Function.Apply<StraightThroughRound>(x);
        Assert.Equal(new float[] { 0, 2, -1, 2 }, y.ToArray<float>());
        (y * y).Sum().Backward();
        Assert.Equal(new float[] { 0, 4, -2, 4 }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void Non_tensor_arguments_get_null_gradients()
    {
        using var scope = DisposeScope.Begin();
        Tensor x = Tensor.FromArray(new float[] { 1, 2 }, requiresGrad: true);
        Tensor y = Function.Apply<ScaleBy>(x, 3.0, true);
        Assert.Equal(new float[] { -3, -6 }, y.ToArray<float>());
        y.Sum().Backward();
        Assert.Equal(new float[] { -3, -3 }, x.Grad!.ToArray<float>());
        Assert.Equal(3, y.GradFn!.NextFunctions.Count);
        Assert.Null(y.GradFn.NextFunctions[1].Function);
    }

    [Fact]
    public void NeedsInputGrad_reflects_RequiresGrad_and_grad_mode()
    {
        using var scope = DisposeScope.Begin();
        Tensor a = Tensor.Ones([2]).RequiresGrad_();
        Tensor c = Tensor.Ones([2]);
        var probe = new Probe();
        Tensor y = Function.Apply(probe, a, c, 4, null);
        Assert.Equal(new[] { true, false, false, false }, probe.NeedsAtForward);
        y.Sum().Backward();
        Assert.Equal(new[] { true, false, false, false }, probe.NeedsAtBackward);

        var second = new Probe();
        Tensor z = Function.Apply(second, c, a);
        Assert.Equal(new[] { false, true }, second.NeedsAtForward);
        Assert.Null(Record(() => z.Sum().Backward()));  // input 0 needs none: null is right
        Assert.Equal(new[] { false, true }, second.NeedsAtBackward);
        Assert.Equal(new float[] { 1, 1 }, a.Grad!.ToArray<float>());  // Probe returns no gradient for input 1

        var off = new Probe();
        using (Autograd.NoGrad())
        {
            Tensor w = Function.Apply(off, a);
            Assert.Equal(new[] { false }, off.NeedsAtForward);
            Assert.Null(w.GradFn);
            Assert.False(w.RequiresGrad);
        }
        Tensor u = Function.Apply<Probe>(c);  // nothing requires grad: nothing recorded
        Assert.Null(u.GradFn);
    }

    private static Exception? Record(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    [Fact]
    public void Missing_output_gradients_are_zeros_or_null_per_SetMaterializeGrads()
    {
        using var scope = DisposeScope.Begin();
        Tensor x = Tensor.FromArray(new double[] { 1, 2 }, requiresGrad: true);
        var on = new TwoOutputs(materialize: true);
        Tensor[] outs = Function.ApplyMany(on, x);
        outs[0].Sum().Backward();
        Assert.Equal(new[] { true, true }, on.Arrived);
        Assert.Equal(new double[] { 0, 0 }, on.Second);
        Assert.Equal(new double[] { 2, 2 }, x.Grad!.ToArray<double>());

        x.Grad = null;
        var off = new TwoOutputs(materialize: false);
        outs = Function.ApplyMany(off, x);
        outs[0].Sum().Backward();
        Assert.Equal(new[] { true, false }, off.Arrived);
        Assert.Equal(new double[] { 2, 2 }, x.Grad!.ToArray<double>());

        x.Grad = null;
        outs = Function.ApplyMany(new TwoOutputs(materialize: false), x);
        Autograd.Backward([outs[0].Sum(), outs[1].Sum()]);
        Assert.Equal(new double[] { 5, 5 }, x.Grad!.ToArray<double>());
    }

    [Theory]
    [InlineData(Misbehaving.Kind.TooFewGradients, typeof(InvalidOperationException), "Function Misbehaving returned 1 gradients, but its forward had 3 arguments")]
    [InlineData(Misbehaving.Kind.NullArray, typeof(InvalidOperationException), "Function Misbehaving: Backward returned null")]
    [InlineData(Misbehaving.Kind.WrongShape, typeof(ArgumentException), "Function Misbehaving returned a gradient of shape [7] for input 0 of shape [2]")]
    [InlineData(Misbehaving.Kind.GradientForConstant, typeof(InvalidOperationException), "Function Misbehaving returned a gradient for input 1, which does not require grad")]
    [InlineData(Misbehaving.Kind.GradientForNonTensor, typeof(InvalidOperationException), "Function Misbehaving returned a gradient for argument 2, which is not a tensor")]
    public void Invalid_backward_results_are_errors_naming_the_function(Misbehaving.Kind kind, Type exceptionType, string message)
    {
        using var scope = DisposeScope.Begin();
        Tensor x = Tensor.FromArray(new float[] { 1, 2 }, requiresGrad: true);
        Tensor c = Tensor.FromArray(new float[] { 3, 4 });
        Tensor y = Function.Apply(new Misbehaving(kind), x, c, "not a tensor");
        Exception e = Assert.ThrowsAny<Exception>(() => y.Sum().Backward());
        Assert.IsType(exceptionType, e);
        Assert.Contains(message, e.Message);
        Assert.Null(x.Grad);
    }

    [Fact]
    public void Exceptions_from_Forward_and_Backward_reach_the_caller_unchanged()
    {
        using var scope = DisposeScope.Begin();
        Tensor x = Tensor.FromArray(new float[] { 1, 2 }, requiresGrad: true);
        bool gradMode = Autograd.IsGradEnabled;
        var fe = Assert.Throws<ForwardFailure>(() => Function.Apply<ThrowingForward>(x));
        Assert.Equal("forward failed on purpose", fe.Message);
        Assert.Equal(gradMode, Autograd.IsGradEnabled);  // the forward's no-grad scope was closed
        Assert.True(x.IsLeaf);

        Tensor y = Function.Apply(new Misbehaving(Misbehaving.Kind.Throws), x, null, null);
        var be = Assert.Throws<BackwardFailure>(() => y.Sum().Backward());
        Assert.Contains(nameof(Misbehaving), be.StackTrace);  // the original stack, not a rethrow site
        Assert.Null(x.Grad);

        // The process keeps working: the same tensors, a new graph.
        Tensor z = Function.Apply<ScaleBy>(x, 2.0, false);
        z.Sum().Backward();
        Assert.Equal(new float[] { 2, 2 }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void The_context_is_used_in_the_right_phase_only()
    {
        using var scope = DisposeScope.Begin();
        Tensor x = Tensor.FromArray(new float[] { 1, 2 }, requiresGrad: true);
        var e1 = Assert.Throws<InvalidOperationException>(() => Function.Apply(new ContextMisuse(inBackward: false), x));
        Assert.Contains("SavedTensors can be read in Backward only", e1.Message);
        Tensor y = Function.Apply(new ContextMisuse(inBackward: true), x);
        var e2 = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("SaveForBackward can be called in Forward only", e2.Message);
    }

    [Fact]
    public void Saved_tensors_follow_the_retainGraph_rules()
    {
        using var scope = DisposeScope.Begin();
        using var g = new Generator(5);
        Tensor x = Leaf(g, DType.Float32, 2, 3), w = Leaf(g, DType.Float32, 4, 3);
        Tensor loss = Function.Apply<LinearFunction>(x, w, null).Sum();
        loss.Backward(retainGraph: true);
        float[] once = w.Grad!.ToArray<float>();
        loss.Backward();
        Assertions.Close(once.Select(v => 2 * v).ToArray(), w.Grad!.ToArray<float>(), 1e-6);
        var e = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("second time", e.Message);
        Assert.Contains("LinearFunction", e.Message);
    }

    [Fact]
    public void Modifying_a_saved_tensor_in_place_before_backward_is_an_error()
    {
        using var scope = DisposeScope.Begin();
        using var g = new Generator(9);
        Tensor x = Tensor.Randn([2, 3], g, DType.Float32);  // an input that needs no grad, saved
        Tensor w = Leaf(g, DType.Float32, 4, 3);
        Tensor y = Function.Apply<LinearFunction>(x, w, null);
        x.Add_(1.0);
        var e = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("modified by an in-place operation: LinearFunction saved", e.Message);

        // A saved intermediate (neither input nor output) is checked too.
        var f = new SavesIntermediate();
        Tensor z = Function.Apply(f, w);
        f.Intermediate!.Mul_(2.0);
        var e2 = Assert.Throws<InvalidOperationException>(() => z.Sum().Backward());
        Assert.Contains("SavesIntermediate", e2.Message);
    }

    [Fact]
    public void Hooks_grad_and_create_graph_see_the_node()
    {
        using var scope = DisposeScope.Begin();
        Tensor x = Tensor.FromArray(new double[] { 1, 2, 3 }, requiresGrad: true);
        Tensor y = Function.Apply<ScaleBy>(x, 2.0, false);
        var seen = new List<double[]>();
        using RemovableHandle h1 = y.RegisterHook(grad => { seen.Add(grad.ToArray<double>()); return grad * 10; });
        using RemovableHandle h2 = x.RegisterHook(grad => { seen.Add(grad.ToArray<double>()); return null; });
        (y * y).Sum().Backward();  // dL/dy = 2y = 4x; the hook makes it 40x; ScaleBy: 80x
        Assert.Equal(new double[] { 4, 8, 12 }, seen[0]);
        Assert.Equal(new double[] { 80, 160, 240 }, seen[1]);
        Assert.Equal(new double[] { 80, 160, 240 }, x.Grad!.ToArray<double>());

        Tensor x2 = Tensor.FromArray(new double[] { 1, 2 }, requiresGrad: true);
        Tensor w2 = Tensor.FromArray(new double[] { 3, 4, 5, 6 }, [2, 2], requiresGrad: true);
        Tensor v = Function.Apply<LinearFunction>(x2.View(1, 2), w2, null);
        Tensor?[] grads = Autograd.Grad([(v * v).Sum()], [x2], createGraph: true);
        Assert.NotNull(grads[0]);
        Assert.True(grads[0]!.RequiresGrad);  // the managed backward's ops were recorded
        Assert.Null(x2.Grad);
        // d/dx of sum(v^2) with v = x·Wᵀ is 2·v·W; v = [11, 17] → [2*(11*3+17*5), 2*(11*4+17*6)]
        Assert.Equal(new double[] { 236, 292 }, grads[0]!.ToArray<double>());
        Tensor?[] second = Autograd.Grad([grads[0]!.Sum()], [w2]);
        // d/dW of sum_j 2·(x·Wᵀ)_i·W_ij: each W_ij gets 2·(x_j·Σ_k W_ik + v_i)
        Assert.Equal(new double[] { 2 * (1 * 7 + 11), 2 * (2 * 7 + 11), 2 * (1 * 11 + 17), 2 * (2 * 11 + 17) },
                     second[0]!.ToArray<double>());
    }

    [Fact]
    public void MarkDirty_rebases_an_input_modified_in_place()
    {
        using var scope = DisposeScope.Begin();
        Tensor leaf = Tensor.FromArray(new float[] { 1, 2 }, requiresGrad: true);
        Tensor a = leaf * 1;
        Tensor y = Function.Apply<DoubleInPlace>(a);
        Assert.Same(a, y);
        Assert.Equal(new float[] { 2, 4 }, a.ToArray<float>());
        Assert.Equal("DoubleInPlace", a.GradFn!.Name);
        Assert.Equal("MulBackward", a.GradFn.NextFunctions[0].Function!.Name);
        (a * a).Sum().Backward();  // d/dleaf sum((2·leaf)^2) = 8·leaf
        Assert.Equal(new float[] { 8, 16 }, leaf.Grad!.ToArray<float>());

        var e = Assert.Throws<InvalidOperationException>(() => Function.Apply<DoubleInPlace>(leaf));
        Assert.Contains("leaf tensor that requires grad", e.Message);
    }

    [Fact]
    public void A_returned_input_becomes_a_new_tensor_and_the_input_keeps_its_history()
    {
        using var scope = DisposeScope.Begin();
        Tensor x = Tensor.FromArray(new float[] { 1, 2 }, requiresGrad: true);
        Tensor y = Function.Apply<Identity>(x);
        Assert.NotSame(x, y);
        Assert.True(x.IsLeaf);
        Assert.True(y.SharesStorageWith(x));
        Assert.Equal("Identity", y.GradFn!.Name);
        (y * 3).Sum().Backward();
        Assert.Equal(new float[] { 3, 3 }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void Several_threads_apply_functions_concurrently()
    {
        const int threads = 4, iterations = 150;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                using var g = new Generator((ulong)(100 + t));
                for (int i = 0; i < iterations; i++)
                {
                    using var scope = DisposeScope.Begin();
                    Tensor x = Tensor.Randn([3 + t, 4], g, DType.Float64).RequiresGrad_();
                    Tensor w = Tensor.Randn([5, 4], g, DType.Float64).RequiresGrad_();
                    Tensor y = Function.Apply<LinearFunction>(x, w, null);
                    if (i % 10 == 3)
                    {
                        // A failing backward on this thread must not disturb the others.
                        Tensor bad = Function.Apply(new Misbehaving(Misbehaving.Kind.Throws), x, null, null);
                        try
                        {
                            bad.Sum().Backward();
                            failures.Add("expected an exception");
                        }
                        catch (BackwardFailure)
                        {
                        }
                    }
                    y.Sum().Backward();
                    Tensor expected = Tensor.Ones([3 + t, 5], DType.Float64).MatMul(w.Detach());
                    double[] got = x.Grad!.ToArray<double>(), want = expected.ToArray<double>();
                    for (int k = 0; k < want.Length; k++)
                        if (Math.Abs(got[k] - want[k]) > 1e-9) failures.Add($"thread {t} iteration {i}: {got[k]} != {want[k]}");
                }
            }
            catch (Exception e)
            {
                failures.Add(e.ToString());
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        Assert.Empty(failures);
    }
}

[Collection("Serial")]
public class CustomFunctionLifetimeTests
{
    private static void Collect()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    [Fact]
    public void Ten_thousand_applications_leak_no_native_tensors()
    {
        using var g = new Generator(2);
        using Tensor x = Tensor.Randn([4, 3], g, DType.Float32).RequiresGrad_();
        using Tensor w = Tensor.Randn([2, 3], g, DType.Float32).RequiresGrad_();
        using Tensor b = Tensor.Randn([2], g, DType.Float32).RequiresGrad_();

        void Round(int i)
        {
            using var scope = DisposeScope.Begin();
            Tensor y = Function.Apply<LinearFunction>(x, w, b);
            switch (i % 4)
            {
                case 0:
                    y.Sum().Backward();  // saved tensors freed by backward, node by the scope
                    break;
                case 1:
                    break;  // graph dropped without backward
                case 2:
                    Tensor[] outs = Function.ApplyMany<MaxWithIndices>(y, 1);
                    outs[0].Sum().Backward(retainGraph: true);
                    break;
                default:
                    Tensor bad = Function.Apply(new Misbehaving(Misbehaving.Kind.Throws), y, null, null);
                    Assert.Throws<BackwardFailure>(() => bad.Sum().Backward());
                    Assert.Throws<ForwardFailure>(() => Function.Apply<ThrowingForward>(x));
                    break;
            }
        }

        for (int i = 0; i < 8; i++) Round(i);  // warm-up: gradients exist from here on
        Collect();
        long baseline = Tensor.LiveCount;
        for (int i = 0; i < 10_000; i++) Round(i);
        Collect();
        Assert.Equal(baseline, Tensor.LiveCount);
    }

    [Fact]
    public void Graphs_released_by_the_finalizer_release_their_functions()
    {
        long baseline;
        Collect();
        baseline = Tensor.LiveCount;
        var weak = MakeGraph();
        Collect();
        Assert.False(weak.TryGetTarget(out _));  // the node released its GCHandle to the function
        Assert.Equal(baseline, Tensor.LiveCount);
    }

    private static WeakReference<Function> MakeGraph()
    {
        var f = new ScaleBy();
        Tensor x = Tensor.Ones([3]).RequiresGrad_();
        Tensor y = Function.Apply(f, x, 2.0, false);
        Assert.NotNull(y.GradFn);
        return new WeakReference<Function>(f);  // x and y are left to the finalizer
    }
}

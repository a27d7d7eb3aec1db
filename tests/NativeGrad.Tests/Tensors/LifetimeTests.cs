namespace NativeGrad.Tests.Tensors;

[Collection("Serial")]
public class LifetimeTests
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
    public void Using_a_disposed_tensor_throws_ObjectDisposedException()
    {
        var t = Tensor.Ones(2);
        t.Dispose();
        Assert.True(t.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => t.Exp());
        Assert.Throws<ObjectDisposedException>(() => t.ToArray<float>());
        t.Dispose();  // a second dispose is harmless
    }

    [Fact]
    public void Dispose_scope_frees_everything_created_inside_except_kept_tensors()
    {
        Collect();
        long baseline = Tensor.LiveCount;
        Tensor kept;
        Tensor moved;
        using (var scope = DisposeScope.Begin())
        {
            var a = Tensor.Rand(10);
            var b = a * 2 + 1;
            kept = scope.Keep(b.Exp());
            moved = (b - 1).MoveToOuterScope();
            Assert.True(scope.Count >= 3);
        }
        Assert.False(kept.IsDisposed);
        Assert.False(moved.IsDisposed);
        Assert.Equal(baseline + 2, Tensor.LiveCount);
        kept.Dispose();
        moved.Dispose();
        Assert.Equal(baseline, Tensor.LiveCount);
    }

    [Fact]
    public void Nested_scopes_move_kept_tensors_to_the_outer_scope()
    {
        Tensor inner;
        using (var outer = DisposeScope.Begin())
        {
            using (var scope = DisposeScope.Begin())
            {
                inner = scope.Keep(Tensor.Ones(3));
            }
            Assert.False(inner.IsDisposed);
        }
        Assert.True(inner.IsDisposed);
    }

    [Fact]
    public void Forgotten_tensors_are_freed_by_the_finalizer()
    {
        Collect();
        long baseline = Tensor.LiveCount;
        static void Leak()
        {
            for (int i = 0; i < 100; i++) _ = Tensor.Rand(16) + 1;
        }
        Leak();
        Collect();
        Assert.Equal(baseline, Tensor.LiveCount);
    }

    [Fact]
    public void A_training_style_loop_leaks_no_native_tensors()
    {
        Collect();
        long baseline = Tensor.LiveCount;
        using (var w = Tensor.Randn([4, 3]).RequiresGrad_())
        {
            for (int step = 0; step < 50; step++)
            {
                using var scope = DisposeScope.Begin();
                var x = Tensor.Rand(8, 4);
                var loss = (x.MatMul(w).Relu() - 1).Pow(2).Mean();
                loss.Backward();
                using (Autograd.NoGrad()) w.Sub_(w.Grad! * 0.01);
                w.Grad = null;
            }
        }
        Collect();
        Assert.Equal(baseline, Tensor.LiveCount);
    }

    [Fact]
    public async Task Tensors_can_be_released_from_the_finalizer_thread_while_others_compute()
    {
        var worker = Task.Run(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                using var a = Tensor.Rand(64);
                using var b = a.Exp().Sum();
            }
        });
        for (int i = 0; i < 200; i++)
        {
            _ = Tensor.Rand(32) * 3;
            if (i % 50 == 0) GC.Collect();
        }
        await worker;
        Collect();
    }
}

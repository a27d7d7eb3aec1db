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
    public void Tensors_reusing_the_handles_of_disposed_ones_are_still_freed_when_forgotten()
    {
        Collect();
        long baseline = Tensor.LiveCount;
        static void DisposeMany()
        {
            var made = new List<Tensor>();
            for (int i = 0; i < 300; i++) made.Add(Tensor.Ones(4));  // more than the handle pool holds
            foreach (Tensor t in made) t.Dispose();
        }
        static void Leak()
        {
            for (int i = 0; i < 200; i++) _ = Tensor.Rand(8) * 3;
        }
        DisposeMany();
        Leak();
        Collect();
        Assert.Equal(baseline, Tensor.LiveCount);
    }

    [Fact]
    public void A_disposed_tensor_stays_disposed_after_its_handle_is_reused()
    {
        var old = Tensor.Full([3], 1f);
        old.Dispose();
        using var fresh = Tensor.Full([3], 7f);  // likely takes over old's recycled handle
        Assert.True(old.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => old.ToArray<float>());
        old.Dispose();  // must not release the reference that now belongs to fresh
        Assert.Equal(new[] { 7f, 7f, 7f }, fresh.ToArray<float>());
        Assert.False(fresh.IsDisposed);
    }

    [Fact]
    public void Concurrent_disposal_of_one_tensor_releases_it_once()
    {
        Collect();
        long baseline = Tensor.LiveCount;
        for (int round = 0; round < 200; round++)
        {
            var t = Tensor.Ones(2);
            Parallel.For(0, 4, _ => t.Dispose());
            Assert.True(t.IsDisposed);
        }
        using var keep = Tensor.Ones(2);
        Assert.Equal(baseline + 1, Tensor.LiveCount);
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

namespace NativeGrad.Tests.Tensors;

public class FormatTests
{
    [Fact]
    public void ToString_prints_like_pytorch()
    {
        using var x = Tensor.FromArray(new float[,] { { 4, -4 }, { 4, 4 } }, requiresGrad: true);
        Assert.Equal("tensor([[ 4., -4.],\n        [ 4.,  4.]], requires_grad=True)", x.ToString());
        using var y = x * 2;
        Assert.EndsWith("grad_fn=<MulBackward>)", y.ToString());
        using var s = Tensor.Scalar(3);
        Assert.Equal("tensor(3.)", s.ToString());
        using var f = Tensor.FromArray(new float[] { 0.5f, 1.25f });
        Assert.Equal("tensor([0.5000, 1.2500])", f.ToString());
        using var i = Tensor.FromArray(new long[] { 1, 22 });
        Assert.Equal("tensor([ 1, 22])", i.ToString());
        using var b = Tensor.FromArray(new[] { true, false });
        Assert.Equal("tensor([ True, False])", b.ToString());
        using var d = Tensor.FromArray(new double[] { 1, 2 });
        Assert.Equal("tensor([1., 2.], dtype=nativegrad.float64)", d.ToString());
    }

    [Fact]
    public void Large_tensors_are_summarised()
    {
        using var big = Tensor.Zeros(2000);
        string s = big.ToString();
        Assert.Contains("...", s);
        Assert.True(s.Length < 200);
    }
}

using NativeGrad.Diagnostics;

namespace NativeGrad.Tests.Tape;

public class GraphInspectionTests
{
    [Fact]
    public void GradFn_reports_the_shapes_it_saved_and_the_dot_export_shows_them()
    {
        using var a = Tensor.Rand([2, 3], null).RequiresGrad_();
        using var b = Tensor.Rand([3], null).RequiresGrad_();
        using var y = a * b;
        GradFn fn = y.GradFn!;
        Assert.Equal("MulBackward", fn.Name);
        Assert.Equal(new[] { new long[] { 2, 3 }, new long[] { 3 } }, fn.SavedShapes);
        using var s = y.Sum();
        Assert.Empty(s.GradFn!.SavedShapes);
        string dot = GraphExport.ToDot(s, [("a", a), ("b", b)]);
        Assert.Contains("MulBackward\\nsaved: (2, 3), (3)", dot);
        Assert.Contains("SumBackward", dot);
        Assert.Contains("a\\n(2, 3)", dot);
    }
}

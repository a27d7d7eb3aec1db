namespace NativeGrad.NN;

/// <summary>
/// Parameter initialisation as in PyTorch's <c>torch.nn.init</c>. Random draws come from the
/// generator installed with <see cref="UseGenerator"/> on the calling thread, else from the global
/// generator (<see cref="Generator.ManualSeed"/>), so a fixed seed always gives the same model.
/// </summary>
/// <example>
/// <code>
/// using var gen = new Generator(42);
/// using (Init.UseGenerator(gen)) { model = new LeNet(); }   // same seed → same weights
/// </code>
/// </example>
public static class Init
{
    [ThreadStatic]
    private static Generator? t_generator;

    /// <summary>The generator used by initialisers on this thread (null: the global generator).</summary>
    public static Generator? CurrentGenerator => t_generator;

    /// <summary>
    /// Makes <paramref name="generator"/> the source of random initial values on this thread until
    /// the returned scope is disposed (scopes nest).
    /// </summary>
    public static IDisposable UseGenerator(Generator? generator)
    {
        Generator? previous = t_generator;
        t_generator = generator;
        return new RestoreScope(() => t_generator = previous);
    }

    /// <summary>
    /// fan_in and fan_out of a weight: dim 1 and dim 0 times the receptive field (the product of
    /// the remaining dims), as in PyTorch's <c>_calculate_fan_in_and_fan_out</c>.
    /// </summary>
    public static (long FanIn, long FanOut) CalculateFanInAndFanOut(ReadOnlySpan<long> shape)
    {
        if (shape.Length < 2)
            throw new ArgumentException($"Fan in and fan out need a tensor of at least 2 dimensions, got shape {Tensor.ShapeString(shape)}.");
        long receptive = 1;
        for (int i = 2; i < shape.Length; i++) receptive *= shape[i];
        return (shape[1] * receptive, shape[0] * receptive);
    }

    /// <summary>The recommended gain for a nonlinearity (PyTorch's <c>calculate_gain</c>).</summary>
    public static double CalculateGain(string nonlinearity, double? param = null) => nonlinearity switch
    {
        "linear" or "conv1d" or "conv2d" or "conv3d" or "sigmoid" => 1.0,
        "tanh" => 5.0 / 3,
        "relu" => Math.Sqrt(2.0),
        "leaky_relu" => Math.Sqrt(2.0 / (1 + Math.Pow(param ?? 0.01, 2))),
        "selu" => 3.0 / 4,
        _ => throw new ArgumentException($"Unsupported nonlinearity '{nonlinearity}'.", nameof(nonlinearity)),
    };

    /// <summary>A new tensor of U(<paramref name="low"/>, <paramref name="high"/>) samples: low + (high − low)·u.</summary>
    public static Tensor UniformTensor(ReadOnlySpan<long> shape, double low, double high, DType dtype = DType.Float32)
    {
        using Tensor u = Tensor.Rand(shape, t_generator, dtype);
        return u * (high - low) + low;
    }

    /// <summary>Fills <paramref name="tensor"/> with U(<paramref name="low"/>, <paramref name="high"/>) samples. Returns it.</summary>
    public static Tensor Uniform_(Tensor tensor, double low = 0, double high = 1)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Tensor v = UniformTensor(tensor.ShapeRef, low, high, tensor.DType);
        using (Autograd.NoGrad()) tensor.CopyFrom(v);
        return tensor;
    }

    /// <summary>Fills <paramref name="tensor"/> with N(<paramref name="mean"/>, <paramref name="std"/>²) samples. Returns it.</summary>
    public static Tensor Normal_(Tensor tensor, double mean = 0, double std = 1)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Tensor n = Tensor.Randn(tensor.ShapeRef, t_generator, tensor.DType);
        using Tensor v = n * std + mean;
        using (Autograd.NoGrad()) tensor.CopyFrom(v);
        return tensor;
    }

    /// <summary>Fills <paramref name="tensor"/> with <paramref name="value"/>. Returns it.</summary>
    public static Tensor Constant_(Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using (Autograd.NoGrad()) tensor.Fill_(value);
        return tensor;
    }

    /// <summary>Fills <paramref name="tensor"/> with zeros. Returns it.</summary>
    public static Tensor Zeros_(Tensor tensor) => Constant_(tensor, 0);

    /// <summary>Fills <paramref name="tensor"/> with ones. Returns it.</summary>
    public static Tensor Ones_(Tensor tensor) => Constant_(tensor, 1);

    /// <summary>
    /// Bound of Kaiming (He) uniform initialisation: gain·√(3 / fan), gain from
    /// <paramref name="nonlinearity"/> with negative slope <paramref name="a"/>.
    /// With a = √5 and leaky_relu this is 1/√fan_in, PyTorch's default for Linear and Conv2d.
    /// </summary>
    public static double KaimingUniformBound(ReadOnlySpan<long> shape, double a = 0, string mode = "fan_in",
                                             string nonlinearity = "leaky_relu")
    {
        (long fanIn, long fanOut) = CalculateFanInAndFanOut(shape);
        long fan = mode switch
        {
            "fan_in" => fanIn,
            "fan_out" => fanOut,
            _ => throw new ArgumentException($"Mode '{mode}' is not supported; use fan_in or fan_out.", nameof(mode)),
        };
        if (fan == 0) return 0;  // PyTorch warns and leaves a zero-element tensor alone
        double gain = CalculateGain(nonlinearity, a);
        return gain * Math.Sqrt(3.0 / fan);
    }

    /// <summary>Fills <paramref name="tensor"/> with Kaiming-uniform samples (PyTorch's <c>kaiming_uniform_</c>). Returns it.</summary>
    public static Tensor KaimingUniform_(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu")
    {
        ArgumentNullException.ThrowIfNull(tensor);
        double bound = KaimingUniformBound(tensor.ShapeRef, a, mode, nonlinearity);
        return Uniform_(tensor, -bound, bound);
    }

    /// <summary>Fills <paramref name="tensor"/> with Xavier (Glorot) uniform samples. Returns it.</summary>
    public static Tensor XavierUniform_(Tensor tensor, double gain = 1.0)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        (long fanIn, long fanOut) = CalculateFanInAndFanOut(tensor.ShapeRef);
        double bound = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
        return Uniform_(tensor, -bound, bound);
    }

    private sealed class RestoreScope(Action restore) : IDisposable
    {
        private Action? _restore = restore;

        public void Dispose() => Interlocked.Exchange(ref _restore, null)?.Invoke();
    }
}

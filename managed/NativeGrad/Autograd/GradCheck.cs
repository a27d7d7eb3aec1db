namespace NativeGrad;

/// <summary>The outcome of a gradient check: whether it passed and where the worst mismatch was.</summary>
/// <param name="Passed">True when every analytic derivative matched its finite-difference estimate.</param>
/// <param name="InputIndex">The input holding the worst element (-1 if there were no elements).</param>
/// <param name="ElementIndex">Row-major index of that element in its input.</param>
/// <param name="OutputIndex">Row-major index of the output element whose derivative differed most.</param>
/// <param name="Analytic">The derivative from autograd at that place.</param>
/// <param name="Numeric">The central finite-difference derivative at that place.</param>
/// <param name="Error">|Analytic − Numeric| − rtol·|Numeric| at that place (≤ atol passes).</param>
public sealed record GradCheckResult(bool Passed, int InputIndex, long ElementIndex, long OutputIndex,
                                     double Analytic, double Numeric, double Error)
{
    /// <inheritdoc/>
    public override string ToString() => Passed
        ? "gradient check passed"
        : $"gradient check failed: d(output[{OutputIndex}])/d(input {InputIndex}[{ElementIndex}]) is {Analytic:G9} " +
          $"analytically but {Numeric:G9} numerically";
}

/// <summary>
/// Compares autograd's derivatives with central finite differences in float64, like PyTorch's
/// <c>gradcheck</c> and <c>gradgradcheck</c>.
/// </summary>
public static class GradCheck
{
    /// <summary>
    /// True when the Jacobian of <paramref name="function"/> computed by autograd matches finite
    /// differences for every input that requires grad. Inputs are converted to float64 copies.
    /// </summary>
    public static bool Check(Func<Tensor[], Tensor> function, Tensor[] inputs, double eps = 1e-6,
                             double atol = 1e-5, double rtol = 1e-3) =>
        Evaluate(function, inputs, eps, atol, rtol).Passed;

    /// <summary>Like <see cref="Check"/>, returning the details of the worst element.</summary>
    public static GradCheckResult Evaluate(Func<Tensor[], Tensor> function, Tensor[] inputs, double eps = 1e-6,
                                           double atol = 1e-5, double rtol = 1e-3)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = DisposeScope.Begin();
        bool[] differentiable = inputs.Select(t => t.RequiresGrad).ToArray();
        if (!differentiable.Any(d => d))
            throw new ArgumentException("GradCheck: no input requires grad, so there is nothing to check.", nameof(inputs));
        double[][] values = inputs.Select(t => t.ToArray<double>()).ToArray();
        long[][] shapes = inputs.Select(t => t.Shape).ToArray();
        DType[] dtypes = inputs.Select(t => t.DType).ToArray();

        Tensor[] Make(int perturbed, long element, double delta, bool requiresGrad)
        {
            var list = new Tensor[inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
            {
                double[] v = values[i];
                if (i == perturbed)
                {
                    v = (double[])v.Clone();
                    v[element] += delta;
                }
                DType dt = dtypes[i].IsFloatingPoint() ? DType.Float64 : dtypes[i];
                Tensor t = Tensor.FromSpan<double>(v, shapes[i]);
                if (dt != DType.Float64) t = t.ToType(dt);
                if (requiresGrad && differentiable[i]) t.RequiresGrad = true;
                list[i] = t;
            }
            return list;
        }

        // Analytic Jacobian rows: one backward pass per output element.
        Tensor[] x = Make(-1, 0, 0, true);
        Tensor y = function(x);
        long outCount = y.NumElements;
        long[] outShape = y.Shape;
        var analytic = new double[inputs.Length][][];  // [input][outElem][inElem]
        for (int i = 0; i < inputs.Length; i++) analytic[i] = new double[outCount][];
        Tensor[] wrt = x.Where((_, i) => differentiable[i]).ToArray();
        int[] wrtIndex = Enumerable.Range(0, inputs.Length).Where(i => differentiable[i]).ToArray();
        for (long k = 0; k < outCount; k++)
        {
            var seed = new double[outCount];
            seed[k] = 1;
            Tensor g = Tensor.FromSpan<double>(seed, outShape).ToType(y.DType);
            Tensor?[] grads = Autograd.Grad([y], wrt, [g], retainGraph: true, allowUnused: true);
            for (int j = 0; j < wrt.Length; j++)
            {
                int i = wrtIndex[j];
                analytic[i][k] = grads[j]?.ToArray<double>() ?? new double[values[i].Length];
            }
        }

        GradCheckResult worst = new(true, -1, 0, 0, 0, 0, double.NegativeInfinity);
        foreach (int i in wrtIndex)
        {
            for (long e = 0; e < values[i].Length; e++)
            {
                // Evaluated with grad mode on: the function may itself differentiate (second order).
                double[] plus = function(Make(i, e, eps, true)).ToArray<double>();
                double[] minus = function(Make(i, e, -eps, true)).ToArray<double>();
                for (long k = 0; k < outCount; k++)
                {
                    double numeric = (plus[k] - minus[k]) / (2 * eps);
                    double a = analytic[i][k][e];
                    double err = Math.Abs(a - numeric) - rtol * Math.Abs(numeric);
                    if (double.IsNaN(a) != double.IsNaN(numeric)) err = double.PositiveInfinity;
                    if (err > worst.Error)
                        worst = new GradCheckResult(err <= atol, i, e, k, a, numeric, err);
                }
            }
        }
        return worst with { Passed = worst.Error <= atol || worst.InputIndex < 0 };
    }

    /// <summary>
    /// Checks second derivatives: the first-order gradients (computed with createGraph) must
    /// themselves pass <see cref="Check"/> with respect to the inputs and a random output gradient.
    /// </summary>
    public static bool CheckSecondOrder(Func<Tensor[], Tensor> function, Tensor[] inputs, double eps = 1e-6,
                                        double atol = 1e-5, double rtol = 1e-3) =>
        EvaluateSecondOrder(function, inputs, eps, atol, rtol).Passed;

    /// <summary>Like <see cref="CheckSecondOrder"/>, returning the details of the worst element.</summary>
    public static GradCheckResult EvaluateSecondOrder(Func<Tensor[], Tensor> function, Tensor[] inputs, double eps = 1e-6,
                                                      double atol = 1e-5, double rtol = 1e-3)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = DisposeScope.Begin();
        int n = inputs.Length;
        bool[] differentiable = inputs.Select(t => t.RequiresGrad).ToArray();
        long[] outShape;
        using (Autograd.NoGrad())
        {
            Tensor[] copies = inputs.Select(t => t.Detach().ToType(t.DType.IsFloatingPoint() ? DType.Float64 : t.DType)).ToArray();
            outShape = function(copies).Shape;
        }
        using var generator = new Generator(12345);
        Tensor gradOutput = Tensor.Randn(outShape, generator, DType.Float64).RequiresGrad_();
        var all = inputs.Append(gradOutput).ToArray();
        GradCheckResult worst = new(true, -1, 0, 0, 0, 0, double.NegativeInfinity);
        for (int target = 0; target < n; target++)
        {
            if (!differentiable[target]) continue;
            int t = target;
            Tensor FirstOrder(Tensor[] xs)
            {
                Tensor[] ins = xs.Take(n).ToArray();
                Tensor y = function(ins);
                Tensor[] wrt = ins.Where((_, i) => differentiable[i]).ToArray();
                int pos = Enumerable.Range(0, n).Where(i => differentiable[i]).ToList().IndexOf(t);
                Tensor?[] g = Autograd.Grad([y], wrt, [xs[n]], retainGraph: true, createGraph: true, allowUnused: true);
                return g[pos] ?? Tensor.Zeros(ins[t].Shape, ins[t].DType);
            }
            GradCheckResult r = Evaluate(FirstOrder, all, eps, atol, rtol);
            if (!r.Passed || worst.InputIndex < 0 || r.Error > worst.Error) worst = r;
            if (!r.Passed) return r;
        }
        return worst;
    }
}

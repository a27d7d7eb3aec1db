using System.Numerics.Tensors;

namespace NativeGrad.Benchmarks.Managed;

/// <summary>
/// Managed C# forward passes of conv2d and pooling (NCHW, stride 1 / 2×2 windows), the comparison
/// for the native kernels: direct loops, with the innermost output row done by
/// <see cref="TensorPrimitives.MultiplyAdd(ReadOnlySpan{float}, float, ReadOnlySpan{float}, Span{float})"/>.
/// </summary>
internal static class ManagedConvPool
{
    /// <summary>y[n,co] = b[co] + Σ_ci Σ_kh,kw w[co,ci,kh,kw]·x[n,ci] shifted; zero padding.</summary>
    public static void Conv2dForward(float[] x, float[] w, float[] b, float[] y,
                                     int batch, int cin, int cout, int size, int k, int pad)
    {
        int outSize = size + 2 * pad - k + 1;
        for (int n = 0; n < batch; n++)
        for (int co = 0; co < cout; co++)
        {
            Span<float> plane = y.AsSpan((n * cout + co) * outSize * outSize, outSize * outSize);
            plane.Fill(b[co]);
            for (int ci = 0; ci < cin; ci++)
            {
                ReadOnlySpan<float> xin = x.AsSpan((n * cin + ci) * size * size, size * size);
                for (int kh = 0; kh < k; kh++)
                for (int kw = 0; kw < k; kw++)
                {
                    float wv = w[((co * cin + ci) * k + kh) * k + kw];
                    // Output columns whose input column ox + kw − pad lies inside the image.
                    int oxBegin = Math.Max(0, pad - kw), oxEnd = Math.Min(outSize, size + pad - kw);
                    if (oxEnd <= oxBegin) continue;
                    for (int oy = 0; oy < outSize; oy++)
                    {
                        int iy = oy + kh - pad;
                        if ((uint)iy >= (uint)size) continue;
                        Span<float> dst = plane.Slice(oy * outSize + oxBegin, oxEnd - oxBegin);
                        ReadOnlySpan<float> src = xin.Slice(iy * size + oxBegin + kw - pad, oxEnd - oxBegin);
                        TensorPrimitives.MultiplyAdd(src, wv, dst, dst);
                    }
                }
            }
        }
    }

    /// <summary>2×2 stride-2 max pooling of [planes, size, size] into [planes, size/2, size/2].</summary>
    public static void MaxPool2x2(float[] x, float[] y, int planes, int size)
    {
        int o = size / 2;
        for (int p = 0; p < planes; p++)
        {
            int xi = p * size * size, yi = p * o * o;
            for (int oy = 0; oy < o; oy++)
            {
                int r0 = xi + 2 * oy * size, r1 = r0 + size;
                for (int ox = 0; ox < o; ox++)
                {
                    int c = 2 * ox;
                    y[yi + oy * o + ox] = Math.Max(Math.Max(x[r0 + c], x[r0 + c + 1]), Math.Max(x[r1 + c], x[r1 + c + 1]));
                }
            }
        }
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NativeGrad.Interop;

namespace NativeGrad;

public sealed unsafe partial class Tensor
{
    private static nint GeneratorHandle(Generator? g) => g is null ? 0 : g.Handle;

    /// <summary>A float32 tensor of zeros.</summary>
    public static Tensor Zeros(params ReadOnlySpan<long> shape) => Full(shape, 0.0, DType.Float32);

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(ReadOnlySpan<long> shape, DType dtype, bool requiresGrad = false) =>
        Full(shape, 0.0, dtype, requiresGrad);

    /// <summary>A float32 tensor of ones.</summary>
    public static Tensor Ones(params ReadOnlySpan<long> shape) => Full(shape, 1.0, DType.Float32);

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(ReadOnlySpan<long> shape, DType dtype, bool requiresGrad = false) =>
        Full(shape, 1.0, dtype, requiresGrad);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(ReadOnlySpan<long> shape, double value, DType dtype = DType.Float32, bool requiresGrad = false)
    {
        nint r;
        fixed (long* s = shape)
        {
            Check(NativeMethods.ng_tensor_full(s, shape.Length, (NgDtype)dtype, value, &r));
        }
        return new Tensor(r).WithRequiresGrad(requiresGrad);
    }

    /// <summary>A tensor with uninitialised contents.</summary>
    public static Tensor Empty(ReadOnlySpan<long> shape, DType dtype = DType.Float32)
    {
        nint r;
        fixed (long* s = shape)
        {
            Check(NativeMethods.ng_tensor_empty(s, shape.Length, (NgDtype)dtype, &r));
        }
        return new Tensor(r);
    }

    /// <summary>A float32 tensor with uninitialised contents.</summary>
    public static Tensor Empty(params long[] shape) => Empty(shape.AsSpan(), DType.Float32);

    /// <summary>A 0-dimensional tensor holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, bool requiresGrad = false) =>
        Full(ReadOnlySpan<long>.Empty, value, dtype, requiresGrad);

    /// <summary>A 0-dimensional float32 tensor holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(float value) => Full(ReadOnlySpan<long>.Empty, value, DType.Float32);

    /// <summary>Values from <paramref name="start"/> (inclusive) to <paramref name="end"/> (exclusive) by <paramref name="step"/>.</summary>
    public static Tensor Arange(double start, double end, double step = 1.0, DType dtype = DType.Float32)
    {
        nint r;
        Check(NativeMethods.ng_tensor_arange(start, end, step, (NgDtype)dtype, &r));
        return new Tensor(r);
    }

    /// <summary>Values 0, 1, …, <paramref name="end"/> − 1.</summary>
    public static Tensor Arange(long end, DType dtype = DType.Int64) => Arange(0, end, 1, dtype);

    /// <summary>Uniform samples in [0, 1) (float32), from the global generator.</summary>
    public static Tensor Rand(params ReadOnlySpan<long> shape) => Rand(shape, null, DType.Float32);

    /// <summary>Uniform samples in [0, 1).</summary>
    public static Tensor Rand(ReadOnlySpan<long> shape, Generator? generator, DType dtype = DType.Float32)
    {
        nint r;
        fixed (long* s = shape)
        {
            Check(NativeMethods.ng_tensor_rand(s, shape.Length, (NgDtype)dtype, GeneratorHandle(generator), &r));
        }
        GC.KeepAlive(generator);
        return new Tensor(r);
    }

    /// <summary>Standard normal samples (float32), from the global generator.</summary>
    public static Tensor Randn(params ReadOnlySpan<long> shape) => Randn(shape, null, DType.Float32);

    /// <summary>Standard normal samples.</summary>
    public static Tensor Randn(ReadOnlySpan<long> shape, Generator? generator, DType dtype = DType.Float32)
    {
        nint r;
        fixed (long* s = shape)
        {
            Check(NativeMethods.ng_tensor_randn(s, shape.Length, (NgDtype)dtype, GeneratorHandle(generator), &r));
        }
        GC.KeepAlive(generator);
        return new Tensor(r);
    }

    /// <summary>Uniform integers in [<paramref name="low"/>, <paramref name="high"/>) (int64).</summary>
    public static Tensor RandInt(long low, long high, ReadOnlySpan<long> shape, Generator? generator = null,
                                 DType dtype = DType.Int64)
    {
        nint r;
        fixed (long* s = shape)
        {
            Check(NativeMethods.ng_tensor_randint(low, high, s, shape.Length, (NgDtype)dtype, GeneratorHandle(generator), &r));
        }
        GC.KeepAlive(generator);
        return new Tensor(r);
    }

    /// <summary>
    /// A tensor holding a copy of <paramref name="data"/> (float, double, long, int or bool), shaped
    /// as <paramref name="shape"/> (1-D when omitted). int data becomes int64.
    /// </summary>
    public static Tensor FromArray<T>(T[] data, ReadOnlySpan<long> shape = default, bool requiresGrad = false)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        ReadOnlySpan<long> s = shape.IsEmpty && data.Length != 1 ? [data.LongLength] : shape;
        if (shape.IsEmpty && data.Length == 1) s = [1];
        return FromSpan<T>(data, s, requiresGrad);
    }

    /// <summary>A tensor holding a copy of <paramref name="data"/>, shaped as <paramref name="shape"/>.</summary>
    public static Tensor FromSpan<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape, bool requiresGrad = false)
        where T : unmanaged
    {
        if (typeof(T) == typeof(int))
        {
            var widened = new long[data.Length];
            ReadOnlySpan<int> ints = MemoryMarshal.Cast<T, int>(data);
            for (int i = 0; i < ints.Length; i++) widened[i] = ints[i];
            return FromSpan<long>(widened, shape, requiresGrad);
        }
        DType dtype = DTypeExtensions.Of<T>();
        nint r;
        fixed (T* p = data)
        fixed (long* s = shape)
        {
            Check(NativeMethods.ng_tensor_from_data(p, (long)data.Length * sizeof(T), s, shape.Length, (NgDtype)dtype, &r));
        }
        return new Tensor(r).WithRequiresGrad(requiresGrad);
    }

    /// <summary>
    /// A tensor with the shape and a copy of the contents of a multi-dimensional array, e.g.
    /// <c>Tensor.FromArray(new float[,] { { 1, -1 }, { 1, 1 } }, requiresGrad: true)</c>.
    /// </summary>
    public static Tensor FromArray(Array array, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        var shape = new long[array.Rank];
        for (int i = 0; i < array.Rank; i++) shape[i] = array.GetLongLength(i);
        Type element = array.GetType().GetElementType()!;
        ref byte first = ref MemoryMarshal.GetArrayDataReference(array);
        int n = checked((int)array.LongLength);
        if (element == typeof(float)) return FromSpan(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, float>(ref first), n), shape, requiresGrad);
        if (element == typeof(double)) return FromSpan(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, double>(ref first), n), shape, requiresGrad);
        if (element == typeof(long)) return FromSpan(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, long>(ref first), n), shape, requiresGrad);
        if (element == typeof(int)) return FromSpan(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, int>(ref first), n), shape, requiresGrad);
        if (element == typeof(bool)) return FromSpan(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, bool>(ref first), n), shape, requiresGrad);
        throw new ArgumentException(
            $"FromArray: element type {element.Name} is not supported; use float, double, long, int or bool.", nameof(array));
    }

    private Tensor WithRequiresGrad(bool requiresGrad)
    {
        if (requiresGrad) RequiresGrad = true;
        return this;
    }
}

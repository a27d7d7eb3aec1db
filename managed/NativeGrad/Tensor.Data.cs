using NativeGrad.Interop;

namespace NativeGrad;

public sealed unsafe partial class Tensor
{
    /// <summary>
    /// The elements in row-major order, converted to <typeparamref name="T"/> (float, double, long
    /// or bool) when the dtype differs.
    /// </summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        DType want = DTypeExtensions.Of<T>();
        if (want != DType)
        {
            using Tensor converted = ToType(want);
            return converted.ToArray<T>();
        }
        var result = new T[checked((int)NumElements)];
        CopyTo<T>(result);
        return result;
    }

    /// <summary>Copies the elements in row-major order into <paramref name="destination"/> (dtype must match <typeparamref name="T"/>).</summary>
    public void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        DType want = DTypeExtensions.Of<T>();
        if (want != DType)
            throw new ArgumentException($"CopyTo: tensor dtype is {DType} but the destination holds {typeof(T).Name}.", nameof(destination));
        fixed (T* p = destination)
        {
            Check(NativeMethods.ng_tensor_copy_to(Handle, p, (long)destination.Length * sizeof(T)));
        }
        GC.KeepAlive(this);
    }

    /// <summary>The value of a one-element tensor as <typeparamref name="T"/>.</summary>
    public T Item<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(long) || typeof(T) == typeof(int))
        {
            long v;
            Check(NativeMethods.ng_tensor_item_int64(Handle, &v));
            GC.KeepAlive(this);
            if (typeof(T) == typeof(int)) { int i = checked((int)v); return *(T*)&i; }
            return *(T*)&v;
        }
        double d;
        Check(NativeMethods.ng_tensor_item_double(Handle, &d));
        GC.KeepAlive(this);
        if (typeof(T) == typeof(double)) return *(T*)&d;
        if (typeof(T) == typeof(float)) { float f = (float)d; return *(T*)&f; }
        if (typeof(T) == typeof(bool)) { bool b = d != 0; return *(T*)&b; }
        throw new NotSupportedException($"Item: {typeof(T).Name} is not supported; use float, double, long, int or bool.");
    }
}

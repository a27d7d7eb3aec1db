using NativeGrad.Interop;

namespace NativeGrad;

/// <summary>
/// A seedable random number generator for <see cref="Tensor.Rand(ReadOnlySpan{long}, Generator?, DType)"/>
/// and friends: the same seed gives the same numbers. Operations given no generator use a global
/// one, seeded with <see cref="ManualSeed"/>.
/// </summary>
public sealed unsafe class Generator : IDisposable
{
    private nint _handle;

    /// <summary>Creates a generator with the given seed.</summary>
    public Generator(ulong seed)
    {
        nint h;
        NativeStatus.Check(NativeMethods.ng_generator_create(seed, &h));
        _handle = h;
    }

    /// <summary>Restarts the sequence from <paramref name="seed"/>.</summary>
    public void Seed(ulong seed)
    {
        NativeStatus.Check(NativeMethods.ng_generator_manual_seed(Handle, seed));
        GC.KeepAlive(this);
    }

    /// <summary>Seeds the global generator used when no generator is passed.</summary>
    public static void ManualSeed(ulong seed) => NativeStatus.Check(NativeMethods.ng_manual_seed(seed));

    internal nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(Generator));

    /// <summary>Frees the native generator.</summary>
    public void Dispose()
    {
        nint h = Interlocked.Exchange(ref _handle, 0);
        if (h != 0) NativeMethods.ng_generator_release(h);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the native generator if <see cref="Dispose"/> was not called.</summary>
    ~Generator() => Dispose();
}

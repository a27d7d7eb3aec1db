using NativeGrad.Interop;

namespace NativeGrad;

/// <summary>
/// A failure reported by the NativeGrad native core that has no more specific .NET exception type
/// (internal errors, a mismatched or unloadable native library).
/// </summary>
/// <remarks>
/// Failures with a natural .NET counterpart surface as that type instead: invalid arguments,
/// shapes and dtypes as <see cref="ArgumentException"/>, bad indices as
/// <see cref="ArgumentOutOfRangeException"/>, invalid states as <see cref="InvalidOperationException"/>,
/// and so on. Those carry the native status name in <c>Exception.Data["NativeGrad.Status"]</c>.
/// </remarks>
public class NativeGradException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public NativeGradException()
        : this("A NativeGrad native call failed.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">The error message.</param>
    public NativeGradException(string message)
        : base(message)
    {
        Status = NgStatus.Internal;
    }

    /// <summary>Creates an exception with the given message and inner exception.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public NativeGradException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = NgStatus.Internal;
    }

    internal NativeGradException(NgStatus status, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Status = status;
    }

    /// <summary>The numeric <c>ng_status</c> value the native core returned.</summary>
    public int StatusCode => (int)Status;

    /// <summary>The name of the native status, e.g. <c>Internal</c>.</summary>
    public string StatusName => Status.ToString();

    internal NgStatus Status { get; }
}

using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace NativeGrad.Interop;

/// <summary>
/// The one status → exception mapper. Every native call's status goes through <see cref="Check"/>,
/// unconditionally; the success path is a single inlined compare.
/// </summary>
/// <remarks>
/// Mapping: InvalidArgument, ShapeMismatch, DtypeMismatch → <see cref="ArgumentException"/>;
/// IndexOutOfRange → <see cref="ArgumentOutOfRangeException"/> (the index is always an argument of the
/// call, and .NET reserves <see cref="IndexOutOfRangeException"/> for the runtime's own array checks);
/// InvalidState → <see cref="InvalidOperationException"/>; OutOfMemory → <see cref="OutOfMemoryException"/>;
/// NotSupported → <see cref="NotSupportedException"/>; CallbackFailed → the managed exception the
/// callback stored with <see cref="SetPendingCallbackException"/>, rethrown with its original stack;
/// anything else → <see cref="NativeGradException"/>. The message is always the native one.
/// </remarks>
internal static class NativeStatus
{
    /// <summary>Key of <c>Exception.Data</c> holding the native status name.</summary>
    internal const string StatusDataKey = "NativeGrad.Status";

    // Set by [UnmanagedCallersOnly] callbacks on the thread that runs them; the native engine runs
    // callbacks on the calling thread, so the caller finds the exception here after the call.
    [ThreadStatic]
    private static ExceptionDispatchInfo? t_pendingCallbackException;

    /// <summary>Throws the exception matching <paramref name="status"/> unless it is <see cref="NgStatus.Ok"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Check(NgStatus status)
    {
        if (status != NgStatus.Ok)
        {
            Throw(status);
        }
    }

    /// <summary>
    /// Records the exception a managed callback caught, to be rethrown by the <see cref="Check"/> that
    /// sees the resulting <see cref="NgStatus.CallbackFailed"/>. The first exception wins: later
    /// callbacks of the same failing call are consequences.
    /// </summary>
    internal static void SetPendingCallbackException(Exception exception)
    {
        t_pendingCallbackException ??= ExceptionDispatchInfo.Capture(exception);
    }

    /// <summary>Drops a stored callback exception (e.g. when the native call succeeded regardless).</summary>
    internal static void ClearPendingCallbackException() => t_pendingCallbackException = null;

    internal static bool HasPendingCallbackException => t_pendingCallbackException != null;

    /// <summary>Reads the calling thread's last native error message (UTF-8), or "" if none.</summary>
    internal static unsafe string LastErrorMessage()
    {
        byte* message = NativeMethods.ng_last_error();
        return message == null ? string.Empty : Marshal.PtrToStringUTF8((nint)message) ?? string.Empty;
    }

    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(NgStatus status)
    {
        ExceptionDispatchInfo? pending = t_pendingCallbackException;
        t_pendingCallbackException = null;
        if (status == NgStatus.CallbackFailed && pending != null)
        {
            pending.Throw();
        }

        throw CreateException(status, LastErrorMessage());
    }

    /// <summary>Builds (does not throw) the exception for a failed status and its native message.</summary>
    internal static Exception CreateException(NgStatus status, string nativeMessage)
    {
        string message = nativeMessage.Length > 0
            ? nativeMessage
            : "NativeGrad native call failed with status " + status + " and no message.";
        Exception exception = status switch
        {
            NgStatus.InvalidArgument or NgStatus.ShapeMismatch or NgStatus.DtypeMismatch => new ArgumentException(message),
            NgStatus.IndexOutOfRange => new ArgumentOutOfRangeException(paramName: null, message),
            NgStatus.InvalidState => new InvalidOperationException(message),
            NgStatus.OutOfMemory => new OutOfMemoryException(message),
            NgStatus.NotSupported => new NotSupportedException(message),
            _ => new NativeGradException(status, message),
        };
        exception.Data[StatusDataKey] = status.ToString();
        return exception;
    }
}

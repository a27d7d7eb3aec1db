using System.Runtime.CompilerServices;
using NativeGrad.Interop;

namespace NativeGrad.Tests.Interop;

/// <summary>The status → exception mapping, and the hook the callback layer uses.</summary>
public class NativeStatusTests
{
    [Theory]
    [InlineData(nameof(NgStatus.InvalidArgument), typeof(ArgumentException))]
    [InlineData(nameof(NgStatus.ShapeMismatch), typeof(ArgumentException))]
    [InlineData(nameof(NgStatus.DtypeMismatch), typeof(ArgumentException))]
    [InlineData(nameof(NgStatus.IndexOutOfRange), typeof(ArgumentOutOfRangeException))]
    [InlineData(nameof(NgStatus.InvalidState), typeof(InvalidOperationException))]
    [InlineData(nameof(NgStatus.OutOfMemory), typeof(OutOfMemoryException))]
    [InlineData(nameof(NgStatus.NotSupported), typeof(NotSupportedException))]
    [InlineData(nameof(NgStatus.CallbackFailed), typeof(NativeGradException))]
    [InlineData(nameof(NgStatus.Internal), typeof(NativeGradException))]
    [InlineData("12345", typeof(NativeGradException))]
    public void StatusesMapToDotNetExceptions(string statusName, Type expected)
    {
        var status = Enum.Parse<NgStatus>(statusName);
        Exception e = NativeStatus.CreateException(status, "matmul: shapes [2, 3] and [4, 5] do not match");
        Assert.IsType(expected, e);
        Assert.Equal("matmul: shapes [2, 3] and [4, 5] do not match", e.Message);
        Assert.Equal(status.ToString(), e.Data[NativeStatus.StatusDataKey]);
        if (e is NativeGradException ng)
        {
            Assert.Equal((int)status, ng.StatusCode);
            Assert.Equal(status.ToString(), ng.StatusName);
        }
    }

    [Fact]
    public void EmptyNativeMessageStillExplainsTheStatus()
    {
        Exception e = NativeStatus.CreateException(NgStatus.Internal, string.Empty);
        Assert.Contains("Internal", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OkDoesNotThrow() => NativeStatus.Check(NgStatus.Ok);

    [Fact]
    public void FailedNativeCallThrowsWithTheNativeMessage()
    {
        // A negative thread count is rejected by the core with a message on this thread.
        Exception e = Assert.ThrowsAny<Exception>(() => NativeStatus.Check(NativeMethods.ng_set_num_threads(-7)));
        Assert.IsAssignableFrom<ArgumentException>(e);
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
    }

    [Fact]
    public void CallbackFailureRethrowsThePendingManagedExceptionWithItsStack()
    {
        var original = CaptureThrown();
        NativeStatus.SetPendingCallbackException(original);
        Assert.True(NativeStatus.HasPendingCallbackException);

        var thrown = Assert.Throws<FormatException>(() => NativeStatus.Check(NgStatus.CallbackFailed));
        Assert.Same(original, thrown);
        Assert.Contains(nameof(ThrowingCallback), thrown.StackTrace, StringComparison.Ordinal);
        Assert.False(NativeStatus.HasPendingCallbackException);

        // Once consumed, a later failure is an ordinary one.
        Assert.Throws<NativeGradException>(() => NativeStatus.Check(NgStatus.CallbackFailed));
    }

    [Fact]
    public void PendingExceptionIsPerThreadAndFirstWins()
    {
        var first = new FormatException("first");
        NativeStatus.SetPendingCallbackException(first);
        NativeStatus.SetPendingCallbackException(new InvalidCastException("second"));

        bool seenOnOtherThread = true;
        var thread = new Thread(() => seenOnOtherThread = NativeStatus.HasPendingCallbackException);
        thread.Start();
        thread.Join();
        Assert.False(seenOnOtherThread);

        Assert.Same(first, Assert.Throws<FormatException>(() => NativeStatus.Check(NgStatus.CallbackFailed)));
    }

    [Fact]
    public void OtherFailuresClearAStalePendingException()
    {
        NativeStatus.SetPendingCallbackException(new FormatException("stale"));
        Assert.Throws<InvalidOperationException>(() => NativeStatus.Check(NgStatus.InvalidState));
        Assert.False(NativeStatus.HasPendingCallbackException);
    }

    private static FormatException CaptureThrown()
    {
        try
        {
            ThrowingCallback();
            throw new InvalidOperationException("unreachable");
        }
        catch (FormatException e)
        {
            return e;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowingCallback() => throw new FormatException("thrown inside a managed callback");
}

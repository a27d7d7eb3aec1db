using System.Runtime.InteropServices;
using System.Text;
using NativeGrad.Interop;
using NativeGrad.NN;

namespace NativeGrad;

/// <summary>
/// Runs a <see cref="Function"/>'s forward with grad mode off and records the application on the
/// native tape with one <c>ng_custom_function_record</c> call.
/// </summary>
internal static unsafe class FunctionRecorder
{
    // Arrays up to this length live on the stack; longer argument lists use the heap.
    private const int StackLimit = 16;

    internal static Tensor[] Run(Function function, object?[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        args = Normalize(args);
        string name = function.Name;

        bool gradEnabled = Autograd.IsGradEnabled;
        var needs = new bool[args.Length];
        bool anyNeeds = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is Tensor t)
            {
                ObjectDisposedException.ThrowIf(t.IsDisposed, t);
                needs[i] = gradEnabled && t.RequiresGrad;
                anyNeeds |= needs[i];
            }
        }

        var ctx = new FunctionContext(name, needs);
        Tensor[] outputs;
        using (Autograd.NoGrad())
        {
            outputs = function.InvokeForward(ctx, args)
                      ?? throw new InvalidOperationException($"Function {name}: Forward returned null.");
        }
        if (outputs.Length == 0)
            throw new InvalidOperationException($"Function {name}: Forward returned no outputs.");
        for (int i = 0; i < outputs.Length; i++)
        {
            if (outputs[i] is null)
                throw new InvalidOperationException($"Function {name}: Forward returned null as output {i}.");
            ObjectDisposedException.ThrowIf(outputs[i].IsDisposed, outputs[i]);
        }

        // Nothing to record (and no in-place write to announce): skip the native call entirely.
        if (!anyNeeds && ctx.Dirty is null)
        {
            ctx.EndForward();
            return outputs;
        }
        try
        {
            Record(function, ctx, name, args, outputs);
        }
        finally
        {
            ctx.EndForward();
        }
        return outputs;
    }

    // A Parameter stands for its tensor (it converts implicitly, but not once boxed as object).
    private static object?[] Normalize(object?[] args)
    {
        object?[]? copy = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is Parameter p)
            {
                copy ??= (object?[])args.Clone();
                copy[i] = p.Tensor;
            }
        }
        return copy ?? args;
    }

    private static void Record(Function function, FunctionContext ctx, string name, object?[] args, Tensor[] outputs)
    {
        int n = args.Length, m = outputs.Length;
        Tensor?[] saved = ctx.ToSave;
        int s = saved.Length;

        Span<nint> inputs = n <= StackLimit ? stackalloc nint[StackLimit] : new nint[n];
        Span<int> dirty = n <= StackLimit ? stackalloc int[StackLimit] : new int[n];
        Span<nint> outs = m <= StackLimit ? stackalloc nint[StackLimit] : new nint[m];
        Span<nint> replaced = m <= StackLimit ? stackalloc nint[StackLimit] : new nint[m];
        Span<int> nonDiff = m <= StackLimit ? stackalloc int[StackLimit] : new int[m];
        Span<nint> savedHandles = s <= StackLimit ? stackalloc nint[StackLimit] : new nint[s];
        for (int i = 0; i < n; i++)
        {
            inputs[i] = args[i] is Tensor t ? t.Handle : 0;
            dirty[i] = 0;
        }
        for (int i = 0; i < m; i++)
        {
            outs[i] = outputs[i].Handle;
            replaced[i] = 0;
            nonDiff[i] = 0;
        }
        for (int i = 0; i < s; i++) savedHandles[i] = saved[i]?.Handle ?? 0;

        if (ctx.NonDifferentiable is { } marked)
        {
            foreach (Tensor t in marked)
            {
                int k = IndexOf(outs[..m], t.Handle);
                if (k < 0)
                    throw new ArgumentException($"Function {name}: MarkNonDifferentiable was given a tensor that is not an output of Forward.");
                nonDiff[k] = 1;
            }
        }
        if (ctx.Dirty is { } dirtied)
        {
            foreach (Tensor t in dirtied)
            {
                int k = IndexOf(inputs[..n], t.Handle);
                if (k < 0)
                    throw new ArgumentException($"Function {name}: MarkDirty was given a tensor that is not an input of Forward.");
                dirty[k] = 1;
            }
        }

        // The node owns the call through this handle and frees it when it dies; on any failure the
        // native side frees it before returning.
        GCHandle call = GCHandle.Alloc(new FunctionCall(function, ctx));
        int byteCount = Encoding.UTF8.GetMaxByteCount(name.Length) + 1;
        Span<byte> utf8 = byteCount <= 256 ? stackalloc byte[256] : new byte[byteCount];
        int written = Encoding.UTF8.GetBytes(name, utf8);
        utf8[written] = 0;

        NgStatus st;
        int recorded;
        fixed (byte* pName = utf8)
        fixed (nint* pIn = inputs, pOut = outs, pSaved = savedHandles, pReplaced = replaced)
        fixed (int* pDirty = dirty, pNonDiff = nonDiff)
        {
            st = NativeMethods.ng_custom_function_record(pName, pIn, n, pOut, m, pNonDiff, pDirty, pSaved, s,
                                                         ctx.MaterializeGrads ? 1 : 0, FunctionBridge.BackwardPointer,
                                                         (void*)GCHandle.ToIntPtr(call), FunctionBridge.ReleasePointer,
                                                         pReplaced, &recorded);
        }
        GC.KeepAlive(args);
        GC.KeepAlive(outputs);
        GC.KeepAlive(saved);
        NativeStatus.Check(st);
        for (int i = 0; i < m; i++)
        {
            if (replaced[i] != 0) outputs[i] = new Tensor(replaced[i]);
        }
    }

    private static int IndexOf(ReadOnlySpan<nint> handles, nint handle)
    {
        for (int i = 0; i < handles.Length; i++)
        {
            if (handles[i] == handle) return i;
        }
        return -1;
    }
}

/// <summary>What the native node holds (through a GCHandle) to run the managed backward.</summary>
internal sealed class FunctionCall(Function function, FunctionContext context)
{
    public Function Function { get; } = function;
    public FunctionContext Context { get; } = context;
}

using System.Runtime.InteropServices;
using NativeGrad.Interop;

namespace NativeGrad;

/// <summary>
/// The autograd node that produced a tensor (PyTorch's <c>grad_fn</c>): its name and the nodes its
/// gradients flow to. Leaves that require grad end in an <c>AccumulateGrad</c> node.
/// </summary>
public sealed unsafe class GradFn
{
    private readonly NodeHandle _node;
    private IReadOnlyList<(GradFn? Function, int InputNr)>? _next;

    internal GradFn(nint node) => _node = new NodeHandle(node);

    /// <summary>The backward function's name, e.g. "MulBackward".</summary>
    public string Name
    {
        get
        {
            byte* name;
            NativeStatus.Check(NativeMethods.ng_node_name(_node.DangerousGetHandle(), &name));
            GC.KeepAlive(this);
            return Marshal.PtrToStringUTF8((nint)name) ?? string.Empty;
        }
    }

    /// <summary>A number identifying the node while it lives (equal for the same node).</summary>
    public ulong Id
    {
        get
        {
            ulong id;
            NativeStatus.Check(NativeMethods.ng_node_id(_node.DangerousGetHandle(), &id));
            GC.KeepAlive(this);
            return id;
        }
    }

    /// <summary>
    /// One entry per input of the operation: the node its gradient goes to (null where the input needs
    /// no gradient) and which of that node's outputs the input was.
    /// </summary>
    public IReadOnlyList<(GradFn? Function, int InputNr)> NextFunctions => _next ??= ReadNext();

    /// <summary>For an AccumulateGrad node, the leaf tensor it accumulates into; otherwise null.</summary>
    public Tensor? Variable
    {
        get
        {
            nint t;
            NativeStatus.Check(NativeMethods.ng_node_variable(_node.DangerousGetHandle(), &t));
            GC.KeepAlive(this);
            return t == 0 ? null : new Tensor(t);
        }
    }

    /// <summary>Shapes of the tensors this node saved for its backward pass.</summary>
    public IReadOnlyList<long[]> SavedShapes
    {
        get
        {
            int count;
            NativeStatus.Check(NativeMethods.ng_node_saved_count(_node.DangerousGetHandle(), &count));
            var shapes = new long[count][];
            long* sizes = stackalloc long[NativeConstants.NG_MAX_RANK];
            for (int i = 0; i < count; i++)
            {
                int ndim;
                NativeStatus.Check(NativeMethods.ng_node_saved_shape(_node.DangerousGetHandle(), i, &ndim, sizes));
                shapes[i] = new ReadOnlySpan<long>(sizes, ndim).ToArray();
            }
            GC.KeepAlive(this);
            return shapes;
        }
    }

    private (GradFn?, int)[] ReadNext()
    {
        int count;
        NativeStatus.Check(NativeMethods.ng_node_next_count(_node.DangerousGetHandle(), &count));
        var list = new (GradFn?, int)[count];
        for (int i = 0; i < count; i++)
        {
            nint next;
            int inputNr;
            NativeStatus.Check(NativeMethods.ng_node_next(_node.DangerousGetHandle(), i, &next, &inputNr));
            list[i] = (next == 0 ? null : new GradFn(next), inputNr);
        }
        GC.KeepAlive(this);
        return list;
    }

    /// <inheritdoc/>
    public override string ToString() => $"<{Name}>";

    private sealed class NodeHandle : SafeHandle
    {
        public NodeHandle(nint h) : base(IntPtr.Zero, true) => SetHandle(h);
        public override bool IsInvalid => handle == IntPtr.Zero;
        protected override bool ReleaseHandle()
        {
            NativeMethods.ng_node_release(handle);
            return true;
        }
    }
}

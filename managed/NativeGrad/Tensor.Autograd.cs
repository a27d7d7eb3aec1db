using System.Runtime.InteropServices;
using NativeGrad.Interop;

namespace NativeGrad;

public sealed unsafe partial class Tensor
{
    /// <summary>
    /// Whether operations on this tensor are recorded for differentiation. Settable on leaves only
    /// (and only to true for floating-point tensors).
    /// </summary>
    public bool RequiresGrad
    {
        get
        {
            int r;
            Check(NativeMethods.ng_tensor_requires_grad(Handle, &r));
            GC.KeepAlive(this);
            return r != 0;
        }
        set
        {
            Check(NativeMethods.ng_tensor_set_requires_grad(Handle, value ? 1 : 0));
            GC.KeepAlive(this);
        }
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor (for chaining).</summary>
    public Tensor RequiresGrad_(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>
    /// PyTorch's rules: tensors that do not require grad are leaves; tensors the user created are
    /// leaves; results of operations on tensors that require grad are not.
    /// </summary>
    public bool IsLeaf
    {
        get
        {
            int r;
            Check(NativeMethods.ng_tensor_is_leaf(Handle, &r));
            GC.KeepAlive(this);
            return r != 0;
        }
    }

    /// <summary>
    /// The accumulated gradient (leaves, and non-leaves after <see cref="RetainGrad"/>), or null.
    /// Each read returns a new <see cref="Tensor"/> object over the same gradient.
    /// </summary>
    public Tensor? Grad
    {
        get
        {
            nint g;
            Check(NativeMethods.ng_tensor_grad(Handle, &g));
            GC.KeepAlive(this);
            return g == 0 ? null : new Tensor(g);
        }
        set
        {
            Check(NativeMethods.ng_tensor_set_grad(Handle, value is null ? 0 : value.Handle));
            GC.KeepAlive(this);
            GC.KeepAlive(value);
        }
    }

    /// <summary>The node that computed this tensor, or null for leaves.</summary>
    public GradFn? GradFn
    {
        get
        {
            nint n;
            Check(NativeMethods.ng_tensor_grad_fn(Handle, &n));
            GC.KeepAlive(this);
            return n == 0 ? null : new GradFn(n);
        }
    }

    /// <summary>Keeps the gradient of this non-leaf tensor in <see cref="Grad"/> during backward.</summary>
    public void RetainGrad()
    {
        Check(NativeMethods.ng_tensor_retain_grad(Handle));
        GC.KeepAlive(this);
    }

    /// <summary>True when this non-leaf tensor keeps its gradient (see <see cref="RetainGrad"/>).</summary>
    public bool RetainsGrad
    {
        get
        {
            int r;
            Check(NativeMethods.ng_tensor_retains_grad(Handle, &r));
            GC.KeepAlive(this);
            return r != 0;
        }
    }

    /// <summary>A tensor sharing this one's data, cut from the graph (a leaf that does not require grad).</summary>
    public Tensor Detach() => Call(&NativeMethods.ng_tensor_detach);

    /// <summary>
    /// Computes the gradient of this tensor with respect to the graph leaves and accumulates it into
    /// their <see cref="Grad"/>. <paramref name="gradient"/> may be omitted only for one-element tensors.
    /// </summary>
    /// <param name="gradient">The gradient of some scalar with respect to this tensor (same shape).</param>
    /// <param name="retainGraph">Keep the graph's saved tensors so Backward can run through it again.</param>
    /// <param name="createGraph">Record the backward computation, for higher-order derivatives.</param>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false) =>
        Autograd.Backward([this], gradient is null ? null : [gradient], retainGraph, createGraph);

    /// <summary>
    /// Registers a hook that receives this tensor's gradient during backward. Returning null keeps
    /// the gradient; returning a tensor replaces it (later hooks and accumulation see the new one).
    /// An exception thrown by the hook stops the backward pass and reaches the caller of Backward.
    /// </summary>
    public RemovableHandle RegisterHook(Func<Tensor, Tensor?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        GCHandle context = GCHandle.Alloc(hook);
        long hookId;
        // On failure the native side releases the context itself, exactly once.
        Check(NativeMethods.ng_tensor_register_hook(Handle, TensorHooks.InvokePointer, (void*)GCHandle.ToIntPtr(context),
                                                    TensorHooks.ReleasePointer, &hookId));
        long id = hookId;
        var target = new WeakReference<Tensor>(this);
        GC.KeepAlive(this);
        return new RemovableHandle(() =>
        {
            if (target.TryGetTarget(out Tensor? t) && !t.IsDisposed)
            {
                int removed;
                Check(NativeMethods.ng_tensor_remove_hook(t.Handle, id, &removed));
                GC.KeepAlive(t);
            }
        });
    }
}

using System.Runtime.InteropServices;
using System.Text;
using ReluFast.Interop;
using ReluFast.IO;

namespace ReluFast.Native;

/// <summary>The codes of <c>relufast_status</c> in relufast.h (keep the two in step).</summary>
internal enum Status
{
    Ok = 0,
    InvalidArgument = 1,
    NullPointer = 2,
    InvalidHandle = 3,
    BufferTooSmall = 4,
    InvalidState = 5,
    Busy = 6,
    Data = 7,
    TorchUnavailable = 8,
    OutOfMemory = 9,
    Callback = 10,
    Cancelled = 11,
    Internal = 100,
}

/// <summary>An error with a chosen status code, raised inside an export and turned into that code at the boundary.</summary>
internal sealed class NativeException(Status status, string message) : Exception(message)
{
    public Status Status { get; } = status;
}

/// <summary>
/// The thread-local last error of the C API. The text lives in native memory owned by a per-thread holder, so
/// the pointer handed to C stays valid until the next failing call on the same thread; the holder's finalizer
/// frees it after the thread has ended.
/// </summary>
internal static unsafe class LastError
{
    [ThreadStatic] private static ErrorText? t_text;

    private sealed class ErrorText
    {
        public byte* Pointer;
        public nuint Capacity;

        ~ErrorText()
        {
            if (Pointer != null) NativeMemory.Free(Pointer);
        }
    }

    private static readonly byte[] s_empty = [0];

    /// <summary>The current thread's message as a NUL-terminated UTF-8 string ("" when no call has failed on it).</summary>
    public static byte* Pointer
    {
        get
        {
            var text = t_text;
            if (text is null || text.Pointer == null)
            {
                text = t_text = new ErrorText();
                text.Pointer = (byte*)NativeMemory.AllocZeroed(64);
                text.Capacity = 64;
            }
            return text.Pointer;
        }
    }

    /// <summary>Records <paramref name="message"/> as this thread's last error.</summary>
    public static void Set(string message)
    {
        try
        {
            var text = t_text ??= new ErrorText();
            int length = Encoding.UTF8.GetByteCount(message);
            nuint needed = (nuint)length + 1;
            if (text.Capacity < needed)
            {
                nuint capacity = Math.Max(needed, 256);
                byte* grown = (byte*)NativeMemory.Realloc(text.Pointer, capacity);
                if (grown == null) return;
                text.Pointer = grown;
                text.Capacity = capacity;
            }
            fixed (char* chars = message)
                Encoding.UTF8.GetBytes(chars, message.Length, text.Pointer, length);
            text.Pointer[length] = 0;
        }
        catch (Exception)
        {
            // Out of memory while recording an error: keep the previous text rather than throw across the boundary.
        }
    }

    /// <summary>Maps an exception to a status code and records its message; never throws.</summary>
    public static int Fail(Exception e)
    {
        Status status;
        string message;
        try
        {
            status = e switch
            {
                NativeException n => n.Status,
                TorchUnavailableException => Status.TorchUnavailable,
                ReluFastDataException => Status.Data,
                ArgumentNullException => Status.NullPointer,
                ArgumentException => Status.InvalidArgument,
                InvalidOperationException => Status.InvalidState,
                OutOfMemoryException or InsufficientExecutionStackException => Status.OutOfMemory,
                OperationCanceledException => Status.Cancelled,
                _ => Status.Internal,
            };
            message = status == Status.Internal ? $"internal error ({e.GetType().Name}): {e.Message}" : e.Message;
            // ArgumentException appends " (Parameter 'name')", which names a C# parameter, not a C one.
            if (e is ArgumentException { ParamName: string name } && message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal))
                message = message[..^$" (Parameter '{name}')".Length];
        }
        catch (Exception)
        {
            status = Status.Internal;
            message = "internal error";
        }
        Set(message);
        return (int)status;
    }

    /// <summary>Records a message and returns its status code.</summary>
    public static int Fail(Status status, string message)
    {
        Set(message);
        return (int)status;
    }

    public static ReadOnlySpan<byte> StatusName(int status) => (Status)status switch
    {
        Status.Ok => "RELUFAST_OK\0"u8,
        Status.InvalidArgument => "RELUFAST_ERROR_INVALID_ARGUMENT\0"u8,
        Status.NullPointer => "RELUFAST_ERROR_NULL_POINTER\0"u8,
        Status.InvalidHandle => "RELUFAST_ERROR_INVALID_HANDLE\0"u8,
        Status.BufferTooSmall => "RELUFAST_ERROR_BUFFER_TOO_SMALL\0"u8,
        Status.InvalidState => "RELUFAST_ERROR_INVALID_STATE\0"u8,
        Status.Busy => "RELUFAST_ERROR_BUSY\0"u8,
        Status.Data => "RELUFAST_ERROR_DATA\0"u8,
        Status.TorchUnavailable => "RELUFAST_ERROR_TORCH_UNAVAILABLE\0"u8,
        Status.OutOfMemory => "RELUFAST_ERROR_OUT_OF_MEMORY\0"u8,
        Status.Callback => "RELUFAST_ERROR_CALLBACK\0"u8,
        Status.Cancelled => "RELUFAST_ERROR_CANCELLED\0"u8,
        Status.Internal => "RELUFAST_ERROR_INTERNAL\0"u8,
        _ => "RELUFAST_ERROR_UNKNOWN\0"u8,
    };
}

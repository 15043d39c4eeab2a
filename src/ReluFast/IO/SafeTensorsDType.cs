namespace ReluFast.IO;

/// <summary>The element types <see cref="SafeTensorsWriter"/> writes and <see cref="SafeTensorsReader"/> reads.</summary>
public enum SafeTensorsDType
{
    /// <summary>IEEE 754 single precision, safetensors dtype <c>"F32"</c> (PyTorch's default).</summary>
    F32,

    /// <summary>IEEE 754 double precision, safetensors dtype <c>"F64"</c> (load with <c>model.double()</c>).</summary>
    F64,
}

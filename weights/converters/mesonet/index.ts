/** Converts the published MesoNet Keras weight files into ONNX graphs. */
export { convertMesoNetH5, type MesoNetArchitecture } from './convert-mesonet';
export { MesoNetConversionError, type MesoNetConversionErrorCode } from './conversion-error';

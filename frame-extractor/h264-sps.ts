/**
 * Reads the fields of an H.264 sequence parameter set (ITU-T H.264 §7.3.2.1.1 and Annex E)
 * that decide how ffmpeg's decoder reports a stream: chroma format, bit depth, coded size and
 * cropping, interlacing, and the VUI's range and colour matrix. Everything after the colour
 * description is left unread.
 */

/** What {@link readH264Sps} reads. */
export interface H264Sps {
  profileIdc: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  chromaFormatIdc: number;
  separateColourPlanes: boolean;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /** Coded size in macroblocks; height in frame macroblocks (field pairs counted twice). */
  widthInMbs: number;
  heightInMbs: number;
  frameMbsOnly: boolean;
  /** Cropping in the SPS's own units (see H.264 §7.4.2.1.1: CropUnitX and CropUnitY). */
  crop: { left: number; right: number; top: number; bottom: number };
  /** From the VUI's video signal type, when present. */
  fullRange?: boolean;
  /** From the VUI's colour description, when present (H.273 code points). */
  colourPrimaries?: number;
  transferCharacteristics?: number;
  matrixCoefficients?: number;
}

/** Profiles whose SPS carries chroma format, bit depths and scaling matrices (§7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Reads bits MSB first from an RBSP (emulation prevention bytes already removed). */
class BitReader {
  private bit = 0;

  constructor(private readonly bytes: Uint8Array) {}

  u(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) {
      const byte = this.bytes[this.bit >> 3];
      if (byte === undefined) throw new RangeError('the SPS ends early');
      value = value * 2 + ((byte >> (7 - (this.bit & 7))) & 1);
      this.bit++;
    }
    return value;
  }

  flag(): boolean {
    return this.u(1) === 1;
  }

  /** Unsigned Exp-Golomb (§9.1). */
  ue(): number {
    let leadingZeros = 0;
    while (this.u(1) === 0) {
      if (++leadingZeros > 31) throw new RangeError('an Exp-Golomb code in the SPS is too long');
    }
    return 2 ** leadingZeros - 1 + this.u(leadingZeros);
  }

  /** Signed Exp-Golomb (§9.1.1). */
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}

/** The NAL unit's payload without its header byte and with every emulation prevention byte (00 00 03) removed. */
function rbspOf(nal: Uint8Array): Uint8Array {
  const out = new Uint8Array(nal.length);
  let length = 0;
  let zeros = 0;
  for (let i = 1; i < nal.length; i++) {
    const byte = nal[i]!;
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    out[length++] = byte;
  }
  return out.subarray(0, length);
}

/** Skips one scaling_list() (§7.3.2.1.1.1) of `size` coefficients. */
function skipScalingList(bits: BitReader, size: number): void {
  let lastScale = 8;
  let nextScale = 8;
  for (let j = 0; j < size; j++) {
    if (nextScale !== 0) nextScale = (lastScale + bits.se() + 256) % 256;
    lastScale = nextScale === 0 ? lastScale : nextScale;
  }
}

/** Reads an SPS NAL unit (its header byte included, type 7). Throws a RangeError on a unit that is not one or ends early. */
export function readH264Sps(nal: Uint8Array): H264Sps {
  if (nal.length < 4 || (nal[0]! & 0x1f) !== 7) throw new RangeError('not an SPS NAL unit');
  const bits = new BitReader(rbspOf(nal));
  const profileIdc = bits.u(8);
  bits.u(16); // constraint flags, reserved bits, level_idc
  bits.ue(); // seq_parameter_set_id
  let chromaFormatIdc = 1;
  let separateColourPlanes = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = bits.ue();
    if (chromaFormatIdc === 3) separateColourPlanes = bits.flag();
    bitDepthLuma = bits.ue() + 8;
    bitDepthChroma = bits.ue() + 8;
    bits.flag(); // qpprime_y_zero_transform_bypass_flag
    if (bits.flag()) {
      const lists = chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists; i++) if (bits.flag()) skipScalingList(bits, i < 6 ? 16 : 64);
    }
  }
  bits.ue(); // log2_max_frame_num_minus4
  const picOrderCntType = bits.ue();
  if (picOrderCntType === 0) {
    bits.ue(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (picOrderCntType === 1) {
    bits.flag(); // delta_pic_order_always_zero_flag
    bits.se(); // offset_for_non_ref_pic
    bits.se(); // offset_for_top_to_bottom_field
    const cycle = bits.ue();
    for (let i = 0; i < cycle; i++) bits.se();
  }
  bits.ue(); // max_num_ref_frames
  bits.flag(); // gaps_in_frame_num_value_allowed_flag
  const widthInMbs = bits.ue() + 1;
  const heightInMapUnits = bits.ue() + 1;
  const frameMbsOnly = bits.flag();
  if (!frameMbsOnly) bits.flag(); // mb_adaptive_frame_field_flag
  bits.flag(); // direct_8x8_inference_flag
  const crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (bits.flag()) {
    crop.left = bits.ue();
    crop.right = bits.ue();
    crop.top = bits.ue();
    crop.bottom = bits.ue();
  }
  const sps: H264Sps = {
    profileIdc,
    chromaFormatIdc,
    separateColourPlanes,
    bitDepthLuma,
    bitDepthChroma,
    widthInMbs,
    heightInMbs: heightInMapUnits * (frameMbsOnly ? 1 : 2),
    frameMbsOnly,
    crop,
  };
  if (!bits.flag()) return sps; // vui_parameters_present_flag
  if (bits.flag() && bits.u(8) === 255) bits.u(32); // aspect ratio: idc, and sar_width, sar_height when extended
  if (bits.flag()) bits.flag(); // overscan_info_present_flag, overscan_appropriate_flag
  if (bits.flag()) {
    bits.u(3); // video_format
    sps.fullRange = bits.flag();
    if (bits.flag()) {
      sps.colourPrimaries = bits.u(8);
      sps.transferCharacteristics = bits.u(8);
      sps.matrixCoefficients = bits.u(8);
    }
  }
  return sps;
}

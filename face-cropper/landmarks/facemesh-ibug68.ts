/**
 * Which of MediaPipe FaceMesh's 468 mesh vertices stands for each of iBUG 300-W's 68 points
 * (deepsift's own choice, by the vertex numbers of MediaPipe's canonical mesh,
 * `face_geometry/data/canonical_face_model_uv_visualization.png`, and its named contours in
 * `face_mesh_connections.py`; checked by eye on the four face crops of ../shared/faces). iBUG's "left" is the image's left (the subject's right eye
 * is points 36–41), as FaceMesh's vertex 33 is; every pair below is mirrored, so the mapping
 * is symmetric.
 *
 * The jaw line is where the two differ: iBUG's 17 jaw points lie on the visible outline of
 * the face, from the tragus past the chin to the other tragus, and slide along it as the
 * head turns; FaceMesh has no jaw contour, only its face oval (`FACEMESH_FACE_OVAL`), fixed
 * vertices on the surface of the mesh that run over the forehead too, and on a turned head
 * the far side's vertices stay where the cheek is rather than on the silhouette. deepsift
 * takes the oval's lower half from the vertex at eye-corner height (234, 454), with the chin
 * (152) at point 8, and of the ten oval vertices on each side of the chin (eye height
 * included) keeps eight, dropping two near the chin (149 and 148, 378 and 377) so that the
 * eight spread from eye height to the chin as iBUG's do. The points are therefore not iBUG's jaw line on turned heads; they are kept as
 * they are because LRNet reads frame-to-frame motion, which a fixed surface point has no less
 * of than a sliding outline point (the benchmark gives the jaw's own error, see README).
 */
export const FACEMESH_TO_IBUG68: readonly number[] = [
  // 0–16 jaw: image left (subject's right) to chin (8) to image right.
  234, 93, 132, 58, 172, 136, 150, 176, 152, 400, 379, 365, 397, 288, 361, 323, 454,
  // 17–21 right eyebrow (image left), outer to inner, upper edge.
  70, 63, 105, 66, 107,
  // 22–26 left eyebrow, inner to outer.
  336, 296, 334, 293, 300,
  // 27–30 nose bridge, from between the eyes to the tip.
  6, 197, 195, 4,
  // 31–35 lower nose, image left to right (alar base, beside the septum, subnasale).
  98, 97, 2, 326, 327,
  // 36–41 right eye: outer corner, upper lid (two), inner corner, lower lid (two).
  33, 160, 158, 133, 153, 144,
  // 42–47 left eye: inner corner, upper lid (two), outer corner, lower lid (two).
  362, 385, 387, 263, 373, 380,
  // 48–59 outer lips: left corner, upper lip to the right corner, lower lip back.
  61, 40, 37, 0, 267, 270, 291, 321, 314, 17, 84, 91,
  // 60–67 inner lips: left corner, upper, right corner, lower.
  78, 81, 13, 311, 308, 402, 14, 178,
];

/** The iBUG points whose FaceMesh stand-ins are not iBUG's definition (the jaw line, 0–16). */
export const IBUG_JAW_POINTS = 17;

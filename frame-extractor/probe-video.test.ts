import * as path from 'node:path';

import { DEFAULT_VIDEO_LIMITS, probeVideo } from './index';
import { sharedDir } from '../test/video-fixtures';

const interview = path.join(sharedDir(), 'videos', 'interview_1080p.mp4');

describe('probeVideo on the shared interview clip', () => {
  it('reports 1920×1080 H.264 at 29.97 fps with 300 frames', async () => {
    const probe = await probeVideo(interview, DEFAULT_VIDEO_LIMITS);
    expect(probe).toMatchObject({
      width: 1920,
      height: 1080,
      codec: 'h264',
      frameCount: 300,
      frameCountExact: true,
      rotationDegrees: 0,
      variableFrameRate: false,
      hasAudio: true,
      streamIndex: 0,
    });
    expect(probe.fps).toBeCloseTo(29.97, 2);
    expect(probe.durationSeconds).toBeCloseTo(10.01, 1);
    expect(probe.formatName).toContain('mp4');
    expect(probe.sizeBytes).toBeGreaterThan(1_000_000);
  });
});

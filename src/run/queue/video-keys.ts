/**
 * Which keys are episodes: the suffixes the template's EventBridge rule matches
 * (infra/template.yaml EpisodeRule; test/episode/template.test.ts keeps the two
 * lists equal), so a backfill takes what an upload would have.
 */
export const VIDEO_SUFFIXES = ['.mp4', '.MP4', '.m4v', '.mov', '.MOV', '.mkv', '.webm', '.ts', '.mts', '.m2ts'] as const;

export function isVideoKey(key: string): boolean {
  return VIDEO_SUFFIXES.some((suffix) => key.endsWith(suffix));
}

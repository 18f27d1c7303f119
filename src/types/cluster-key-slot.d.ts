/** cluster-key-slot ships no types: it maps a key to its Redis Cluster hash slot (0–16383). */
declare module 'cluster-key-slot' {
  export default function calculateSlot(key: string | Buffer): number;
}

export { MelangeHealthIndicator } from './melange-health.indicator';

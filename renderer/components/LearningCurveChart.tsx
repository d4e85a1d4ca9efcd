/** Loss and validation Dice per epoch of one candidate: the running one, or one opened in the table. */
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { EpochRecord } from '../../main/api';

export const chartAxis = { stroke: '#8b95a7', fontSize: 11 };

export function LearningCurveChart({ curve }: { curve: EpochRecord[] }) {
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart data={curve} margin={{ top: 8, right: 12, bottom: 4, left: -8 }}>
        <CartesianGrid stroke="#262c38" />
        <XAxis dataKey="epoch" tick={chartAxis} allowDecimals={false} />
        <YAxis yAxisId="loss" tick={chartAxis} />
        <YAxis yAxisId="dice" orientation="right" domain={[0, 1]} tick={chartAxis} />
        <Tooltip contentStyle={{ background: '#151a23', border: '1px solid #2d3545' }} />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <Line
          yAxisId="loss"
          dataKey="loss"
          name="loss"
          stroke="#ffb020"
          dot={false}
          isAnimationActive={false}
        />
        <Line
          yAxisId="dice"
          dataKey="valDice"
          name="val Dice"
          stroke="#4f8cff"
          dot={false}
          connectNulls
          isAnimationActive={false}
        />
      </LineChart>
    </ResponsiveContainer>
  );
}
